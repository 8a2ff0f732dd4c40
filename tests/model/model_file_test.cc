// The model file: round trips, determinism, and every way a file can be bad.
#include "model/model_file.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "groupguard/classifier.h"
#include "groupguard/post_reader.h"
#include "groupguard/trainer.h"
#include "groupguard_internal/model/model.pb.h"
#include "gtest/gtest.h"
#include "test_corpus.h"

namespace groupguard {
namespace {

using ::groupguard::testing::SyntheticCorpus;
using ::groupguard::testing::TrainSynthetic;
using ::testing::HasSubstr;

const std::string& LogisticModel() {
  static const std::string* bytes =
      new std::string(TrainSynthetic(ModelType::kLogistic).bytes);
  return *bytes;
}

// The file bytes of `m`, which must encode.
std::string Encode(const model::Model& m) {
  absl::StatusOr<std::string> bytes = internal::EncodeModelFile(m);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *std::move(bytes) : std::string();
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/gg_model_file_test_" + name;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(ModelFileTest, TrainedModelLoads) {
  ASSERT_GT(LogisticModel().size(), internal::kModelHeaderSize);
  EXPECT_EQ(LogisticModel().substr(0, 8), std::string("GGMODEL\x1a", 8));
  auto c = Classifier::FromBytes(LogisticModel());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->info().format_version, 1u);
  EXPECT_EQ((*c)->info().model_type, "logistic");
  EXPECT_EQ((*c)->info().file_bytes, static_cast<int64_t>(LogisticModel().size()));
}

TEST(ModelFileTest, TrainingIsDeterministic) {
  EXPECT_EQ(TrainSynthetic(ModelType::kLogistic).bytes, LogisticModel());
  EXPECT_EQ(TrainSynthetic(ModelType::kNaiveBayes).bytes,
            TrainSynthetic(ModelType::kNaiveBayes).bytes);
}

TEST(ModelFileTest, SaveLoadGivesIdenticalScores) {
  for (ModelType type : {ModelType::kNaiveBayes, ModelType::kLogistic}) {
    const TrainedModel model = TrainSynthetic(type);
    const std::string path = TempPath("roundtrip.ggm");
    ASSERT_TRUE(model.Save(path).ok());
    auto loaded = Classifier::Load(path);
    auto direct = Classifier::FromBytes(model.bytes);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    ASSERT_TRUE(direct.ok()) << direct.status();
    for (const auto& post : SyntheticCorpus(50)) {
      EXPECT_EQ((*loaded)->SpamProbability(post.text),
                (*direct)->SpamProbability(post.text));
    }
    EXPECT_EQ((*loaded)->spam_threshold(), (*direct)->spam_threshold());
    std::remove(path.c_str());
  }
}

TEST(ModelFileTest, TruncatedFileIsDataLoss) {
  const std::string& bytes = LogisticModel();
  for (size_t size : {size_t{4}, size_t{8}, size_t{12}, size_t{27}, size_t{28},
                      size_t{40}, bytes.size() / 2, bytes.size() - 1}) {
    auto c = Classifier::FromBytes(bytes.substr(0, size));
    EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss)
        << size << " " << c.status();
    EXPECT_THAT(c.status().message(), HasSubstr("truncated")) << size;
  }
  EXPECT_EQ(Classifier::FromBytes("").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ModelFileTest, FlippedByteIsDataLoss) {
  const std::string& bytes = LogisticModel();
  // The payload size, the checksum, and bytes all over the payload.
  for (size_t offset : {size_t{13}, size_t{20}, size_t{27}, size_t{28}, size_t{29},
                        bytes.size() / 3, bytes.size() / 2, bytes.size() - 1}) {
    for (unsigned char mask : {0x01, 0x80}) {
      std::string corrupt = bytes;
      corrupt[offset] = static_cast<char>(corrupt[offset] ^ mask);
      auto c = Classifier::FromBytes(corrupt);
      EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss)
          << offset << " " << c.status();
    }
  }
}

TEST(ModelFileTest, TrailingBytesAreDataLoss) {
  auto c = Classifier::FromBytes(LogisticModel() + "x");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss);
}

TEST(ModelFileTest, ForeignFileIsInvalidArgument) {
  for (const std::string foreign :
       {std::string("PK\x03\x04 this is a zip"), std::string("{\"id\": \"1\"}\n"),
        std::string("GGMODEX\x1a") + LogisticModel().substr(8), std::string("X")}) {
    auto c = Classifier::FromBytes(foreign);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << c.status();
    EXPECT_THAT(c.status().message(), HasSubstr("not a groupguard model"));
  }
}

TEST(ModelFileTest, NewerVersionIsFailedPrecondition) {
  std::string newer = LogisticModel();
  newer[8] = 2;
  auto c = Classifier::FromBytes(newer);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(c.status().message(), HasSubstr("version 2"));
  newer[8] = 0;
  newer[11] = 1;  // version 2^24
  EXPECT_EQ(Classifier::FromBytes(newer).status().code(),
            absl::StatusCode::kFailedPrecondition);
  std::string zero = LogisticModel();
  zero[8] = 0;
  EXPECT_EQ(Classifier::FromBytes(zero).status().code(), absl::StatusCode::kDataLoss);
}

TEST(ModelFileTest, ValidChecksumButNonsenseContentIsDataLoss) {
  model::Model m;
  ASSERT_TRUE(internal::DecodeModelFile(LogisticModel(), &m).ok());
  {
    model::Model bad = m;
    bad.mutable_scorer()->set_bucket_deltas(0, 1u << 30);  // beyond 2^20 buckets
    EXPECT_EQ(Classifier::FromBytes(Encode(bad)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  {
    model::Model bad = m;
    bad.mutable_features()->set_hash_bits(40);
    EXPECT_EQ(Classifier::FromBytes(Encode(bad)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  {
    model::Model bad = m;
    bad.mutable_scorer()->add_weights(1.0f);  // one weight more than buckets
    EXPECT_EQ(Classifier::FromBytes(Encode(bad)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  {
    model::Model bad = m;
    bad.mutable_thresholds()->set_spam(1.5);
    EXPECT_EQ(Classifier::FromBytes(Encode(bad)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  {
    model::Model bad = m;
    bad.set_type(model::MODEL_TYPE_UNSPECIFIED);
    EXPECT_EQ(Classifier::FromBytes(Encode(bad)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  {
    model::Model bad = m;
    bad.mutable_calibration()->set_a(std::numeric_limits<double>::quiet_NaN());
    EXPECT_EQ(Classifier::FromBytes(Encode(bad)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  // Finite but huge: scoring would overflow to inf - inf, a NaN probability.
  for (double huge : {1e101, -1e308}) {
    model::Model bad = m;
    bad.mutable_calibration()->set_a(huge);
    EXPECT_EQ(Classifier::FromBytes(Encode(bad)).status().code(),
              absl::StatusCode::kDataLoss);
    bad = m;
    bad.mutable_scorer()->set_bias(huge);
    EXPECT_EQ(Classifier::FromBytes(Encode(bad)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  // Training counts that are not counts (posts - spam overflowed for INT64_MIN posts).
  for (const auto& mutate : std::vector<std::function<void(model::Model*)>>{
           [](model::Model* x) {
             x->mutable_training()->mutable_train_metrics()->set_posts(
                 std::numeric_limits<int64_t>::min());
           },
           [](model::Model* x) {
             x->mutable_training()->mutable_validation_metrics()->set_spam(-1);
           },
           [](model::Model* x) {
             x->mutable_training()->mutable_train_metrics()->set_spam(
                 x->training().train_metrics().posts() + 1);
           },
           [](model::Model* x) {
             x->mutable_training()->mutable_train_metrics()->set_confusion(0, -5);
           },
           [](model::Model* x) { x->mutable_training()->set_train_posts(-1); },
           [](model::Model* x) {
             x->mutable_training()->set_validation_spam(x->training().validation_posts() +
                                                        1);
           }}) {
    model::Model bad = m;
    mutate(&bad);
    EXPECT_EQ(Classifier::FromBytes(Encode(bad)).status().code(),
              absl::StatusCode::kDataLoss);
  }
  // Re-encoding the unchanged message gives the same bytes.
  EXPECT_EQ(Encode(m), LogisticModel());
}

TEST(ModelFileTest, LoadErrorsNameThePath) {
  const std::string missing = TempPath("does_not_exist.ggm");
  auto c = Classifier::Load(missing);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(), HasSubstr(missing));

  c = Classifier::Load("");  // not ": cannot open model file: No such file ..."
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "empty model file name");

  const std::string truncated = TempPath("truncated.ggm");
  WriteFile(truncated, LogisticModel().substr(0, 100));
  c = Classifier::Load(truncated);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(c.status().message(), HasSubstr(truncated));
  std::remove(truncated.c_str());

  const std::string foreign = TempPath("foreign.ggm");
  WriteFile(foreign, "hello world, not a model");
  c = Classifier::Load(foreign);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(c.status().message(), HasSubstr(foreign));
  std::remove(foreign.c_str());
}

// Load reads the 28-byte header, then no more than the payload it announces (and
// one byte): an endless or huge input is turned down without being read into memory.
TEST(ModelFileTest, LoadReadsNoMoreThanTheHeaderAnnounces) {
  auto c = Classifier::Load("/dev/zero");  // would be read until memory runs out
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("/dev/zero: not a groupguard model"));

  const std::string junk = TempPath("junk_after.ggm");
  WriteFile(junk, LogisticModel() + std::string(1 << 20, 'j'));
  c = Classifier::Load(junk);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("trailing bytes after the"));
  std::remove(junk.c_str());

  std::string huge = LogisticModel();
  huge[12 + 5] = 1;  // the header announces 2^40 more payload bytes
  EXPECT_THAT(Classifier::FromBytes(huge).status().message(),
              HasSubstr("more than a model can have"));
  const std::string claim = TempPath("huge_claim.ggm");
  WriteFile(claim, huge);
  c = Classifier::Load(claim);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss) << c.status();
  EXPECT_THAT(c.status().message(), HasSubstr("more than a model can have"));
  std::remove(claim.c_str());
}

// Saving over an existing model replaces the file a symbolic link points to (the
// link stays), keeps the file's mode, and refuses what is not a regular file.
TEST(ModelFileTest, SaveOverAnExistingFileKeepsLinkAndMode) {
  std::string dir = TempPath("save_link_XXXXXX");
  ASSERT_NE(::mkdtemp(dir.data()), nullptr) << std::strerror(errno);
  const std::string real = dir + "/v1.ggm", link = dir + "/current.ggm";
  WriteFile(real, "old");
  ASSERT_EQ(::chmod(real.c_str(), 0640), 0);
  ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
  const TrainedModel model = TrainSynthetic(ModelType::kNaiveBayes);
  ASSERT_TRUE(model.Save(link).ok());
  struct stat st;
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ASSERT_EQ(::stat(real.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ASSERT_TRUE(Classifier::Load(real).ok());
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(model.Save(fifo).code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  for (const std::string& p : {fifo, link, real}) std::remove(p.c_str());
  ::rmdir(dir.c_str());
}

TEST(ModelFileTest, SaveToMissingDirectoryFails) {
  const TrainedModel model = TrainSynthetic(ModelType::kNaiveBayes);
  const std::string path = TempPath("no/such/dir/model.ggm");
  const absl::Status status = model.Save(path);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  // The path given and the reason, once each (not the temporary file's name).
  EXPECT_EQ(status.message(),
            path + ": cannot create model file: No such file or directory");
}

// No file is named "" or has a NUL in its name: Save wrote and synced a temporary
// in the working folder before failing on "", and wrote "a.ggm" for "a.ggm\0.bak"
// (the system reads a name up to its NUL), renaming the temporary onto itself;
// Load and a post reader read "a.ggm". All three refuse such a name now.
TEST(ModelFileTest, AnEmptyNameOrOneWithANulIsRefused) {
  const TrainedModel model = TrainSynthetic(ModelType::kNaiveBayes);
  std::string dir = TempPath("nul_XXXXXX");
  ASSERT_NE(::mkdtemp(dir.data()), nullptr) << std::strerror(errno);
  const std::string real = dir + "/a.ggm";
  const std::string with_nul = real + std::string(1, '\0') + ".bak";
  EXPECT_EQ(model.Save(""),
            absl::InvalidArgumentError("cannot save a model file to \"\": an empty path"));
  EXPECT_EQ(model.Save(with_nul),
            absl::InvalidArgumentError(absl::StrCat("cannot save a model file to \"", real,
                                                    "\\x00.bak\": a path with a NUL "
                                                    "byte in it")));
  EXPECT_EQ(::access(real.c_str(), F_OK), -1) << "nothing written";
  ASSERT_TRUE(model.Save(real).ok());
  EXPECT_EQ(Classifier::Load(with_nul).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PostReader::Open(with_nul, PostReaderOptions()).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::remove(real.c_str());
  ::rmdir(dir.c_str());
}

TEST(ModelFileTest, SaveOverADirectoryIsInvalidArgument) {
  const TrainedModel model = TrainSynthetic(ModelType::kNaiveBayes);
  const std::string dir = TempPath("a_directory.ggm");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  const absl::Status status = model.Save(dir);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(status.message(), dir + ": cannot create model file: Is a directory");
  rmdir(dir.c_str());
}

// Save writes a temporary file of its own (a file the user happens to have at
// "<path>.tmp" is not touched), gives a new model the mode a plain create would
// (0666 less the umask) and leaves nothing else in the directory.
TEST(ModelFileTest, SaveUsesItsOwnTemporaryAndTheUmask) {
  std::string dir = TempPath("save_XXXXXX");
  ASSERT_NE(::mkdtemp(dir.data()), nullptr) << std::strerror(errno);
  const std::string path = dir + "/model.ggm";
  WriteFile(path + ".tmp", "the user's own file");
  const TrainedModel model = TrainSynthetic(ModelType::kNaiveBayes);
  for (const mode_t mask : {mode_t{022}, mode_t{077}}) {
    std::remove(path.c_str());  // a new file each time (an existing one keeps its mode)
    const mode_t old_mask = ::umask(mask);
    const absl::Status status = model.Save(path);
    ::umask(old_mask);
    ASSERT_TRUE(status.ok()) << status;
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);
  }
  std::ifstream in(path + ".tmp");
  std::string kept((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  EXPECT_EQ(kept, "the user's own file");
  auto loaded = Classifier::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();

  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  ASSERT_NE(d, nullptr);
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') names.push_back(e->d_name);
  }
  ::closedir(d);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("model.ggm", "model.ggm.tmp"));
  std::remove((path + ".tmp").c_str());
  std::remove(path.c_str());
  ::rmdir(dir.c_str());
}

}  // namespace
}  // namespace groupguard

namespace groupguard {
namespace {

// A payload with invalid UTF-8 in a text field loads (the text is metadata) and
// nothing is written to stderr (protobuf logs invalid UTF-8 in `string` fields).
TEST(ModelFileTest, InvalidUtf8MetadataIsQuiet) {
  model::Model m;
  ASSERT_TRUE(internal::DecodeModelFile(LogisticModel(), &m).ok());
  m.mutable_training()->set_date("\xff\xfe not utf-8");
  ::testing::internal::CaptureStderr();
  auto c = Classifier::FromBytes(Encode(m));
  const std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->info().date, "\xff\xfe not utf-8");
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace groupguard

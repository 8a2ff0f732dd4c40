#include "model/model_file.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "xxhash.h"

namespace groupguard::internal {
namespace {

void AppendLittleEndian(uint64_t value, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(value >> (8 * i)));
}

uint64_t ReadLittleEndian(absl::string_view bytes, size_t offset, int size) {
  uint64_t value = 0;
  for (int i = 0; i < size; ++i) {
    value |= uint64_t{static_cast<unsigned char>(bytes[offset + i])} << (8 * i);
  }
  return value;
}

// Largest magnitude of a bias, component weight or calibration parameter: far
// beyond anything training writes, and small enough that a score's arithmetic
// (their products with sums of up to ~1e7 float weights) can never overflow to an
// infinity and, from inf - inf, to a NaN probability. False for NaN.
constexpr double kMaxMagnitude = 1e100;
bool Finite(double x) { return std::fabs(x) <= kMaxMagnitude; }

}  // namespace

absl::StatusOr<std::string> EncodeModelFile(const model::Model& model) {
  // Measured first: protobuf refuses (and logs) a message over 2 GiB.
  const size_t size = model.ByteSizeLong();
  if (size > kMaxModelPayloadSize) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the model would be ", size, " bytes; a model file holds at most ",
                     kMaxModelPayloadSize));
  }
  std::string payload;
  bool serialized;
  {
    google::protobuf::io::StringOutputStream stream(&payload);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    serialized = model.SerializeToCodedStream(&coded);
  }
  if (!serialized) return absl::InternalError("protobuf could not serialize the model");
  std::string out(kModelMagic);
  AppendLittleEndian(kModelFormatVersion, 4, &out);
  AppendLittleEndian(payload.size(), 8, &out);
  AppendLittleEndian(XXH3_64bits(payload.data(), payload.size()), 8, &out);
  out += payload;
  return out;
}

absl::StatusOr<std::string> ReadModelFileBytes(
    const std::function<absl::StatusOr<size_t>(char* buffer, size_t size)>& read) {
  std::string bytes;
  uint64_t limit = kModelHeaderSize;
  char buffer[1 << 16];
  for (;;) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(sizeof(buffer), limit - bytes.size()));
    if (want == 0) break;
    absl::StatusOr<size_t> n = read(buffer, want);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    bytes.append(buffer, *n);
    if (bytes.size() == kModelHeaderSize &&
        absl::string_view(bytes).substr(0, kModelMagic.size()) == kModelMagic) {
      const uint64_t payload_size = ReadLittleEndian(bytes, 12, 8);
      // A larger claim is left for DecodeModelFile to report.
      if (payload_size <= kMaxModelPayloadSize) limit += payload_size + 1;
    }
  }
  return bytes;
}

absl::Status DecodeModelFile(absl::string_view bytes, model::Model* model) {
  const size_t magic_checked = std::min(bytes.size(), kModelMagic.size());
  if (bytes.substr(0, magic_checked) != kModelMagic.substr(0, magic_checked) ||
      bytes.empty()) {
    return absl::InvalidArgumentError(bytes.empty()
                                          ? "empty file, not a groupguard model"
                                          : "not a groupguard model file (bad magic)");
  }
  if (bytes.size() < kModelHeaderSize) {
    return absl::DataLossError(absl::StrCat("truncated groupguard model: ", bytes.size(),
                                            " bytes, shorter than the ", kModelHeaderSize,
                                            "-byte header"));
  }
  const uint64_t version = ReadLittleEndian(bytes, 8, 4);
  if (version == 0) {
    return absl::DataLossError("corrupt groupguard model: format version 0");
  }
  if (version > kModelFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("groupguard model format version ", version,
                     " is newer than this library reads (", kModelFormatVersion,
                     "); upgrade groupguard"));
  }
  const uint64_t payload_size = ReadLittleEndian(bytes, 12, 8);
  if (payload_size > kMaxModelPayloadSize) {
    return absl::DataLossError(absl::StrCat("corrupt groupguard model: header says ",
                                            payload_size,
                                            " payload bytes, more than a model can have"));
  }
  const uint64_t available = bytes.size() - kModelHeaderSize;
  if (payload_size > available) {
    return absl::DataLossError(absl::StrCat("truncated groupguard model: header says ",
                                            payload_size, " payload bytes, file has ",
                                            available));
  }
  if (payload_size < available) {
    // Not a byte count: Classifier::Load stops reading one byte past the payload.
    return absl::DataLossError(absl::StrCat(
        "corrupt groupguard model: trailing bytes after the ", payload_size,
        "-byte payload"));
  }
  const absl::string_view payload = bytes.substr(kModelHeaderSize);
  const uint64_t checksum = ReadLittleEndian(bytes, 20, 8);
  if (XXH3_64bits(payload.data(), payload.size()) != checksum) {
    return absl::DataLossError("corrupt groupguard model: checksum mismatch");
  }
  if (!model->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return absl::DataLossError("corrupt groupguard model: payload does not parse");
  }
  return ValidateModel(*model);
}

absl::Status ValidateModel(const model::Model& model) {
  auto corrupt = [](absl::string_view what) {
    return absl::DataLossError(absl::StrCat("invalid groupguard model: ", what));
  };
  if (model.type() != model::MODEL_TYPE_NAIVE_BAYES &&
      model.type() != model::MODEL_TYPE_LOGISTIC &&
      model.type() != model::MODEL_TYPE_ENSEMBLE) {
    return corrupt(absl::StrCat("unknown model type ", model.type()));
  }
  const model::FeatureConfig& f = model.features();
  if (f.hash_function() != "xxh3_64") {
    return corrupt(absl::StrCat("unknown hash function \"", f.hash_function(), "\""));
  }
  if (f.hash_bits() < 10 || f.hash_bits() > 26) {
    return corrupt(absl::StrCat("hash_bits ", f.hash_bits(), " not in [10, 26]"));
  }
  if (f.char_ngram_min() > 8 || f.char_ngram_max() > 8 ||
      f.char_ngram_min() > f.char_ngram_max() ||
      (f.char_ngram_min() == 0) != (f.char_ngram_max() == 0)) {
    return corrupt("char n-gram range out of bounds");
  }
  const model::TokenizerConfig& t = model.tokenizer();
  if (t.max_char_run() < 2 || t.max_char_run() > 16 || t.max_input_bytes() < 1024 ||
      t.max_input_bytes() > (uint64_t{64} << 20)) {
    return corrupt("tokenizer options out of range");
  }
  const bool ensemble = model.type() == model::MODEL_TYPE_ENSEMBLE;
  if (ensemble && (model.components_size() != 2 || model.component_weights_size() != 2)) {
    return corrupt("an ensemble needs 2 components and 2 weights");
  }
  if (!ensemble &&
      (model.components_size() != 0 || model.component_weights_size() != 0)) {
    return corrupt("components in a model that is not an ensemble");
  }
  for (double w : model.component_weights()) {
    if (!Finite(w)) return corrupt("component weight not finite or beyond 1e100");
  }
  const uint64_t buckets = uint64_t{1} << f.hash_bits();
  const int scorers = ensemble ? model.components_size() : 1;
  for (int k = 0; k < scorers; ++k) {
    const model::LinearScorer& s = ensemble ? model.components(k) : model.scorer();
    if (s.bucket_deltas_size() != s.weights_size()) {
      return corrupt(absl::StrCat(s.bucket_deltas_size(), " buckets but ",
                                  s.weights_size(), " weights"));
    }
    if (s.scaling() != model::SCALING_NONE &&
        s.scaling() != model::SCALING_INV_SQRT_COUNT) {
      return corrupt(absl::StrCat("unknown scaling ", s.scaling()));
    }
    uint64_t bucket = 0;
    for (int i = 0; i < s.bucket_deltas_size(); ++i) {
      const uint64_t delta = s.bucket_deltas(i);
      if (i > 0 && delta == 0) return corrupt("buckets not strictly ascending");
      bucket += delta;
      if (bucket >= buckets) {
        return corrupt(absl::StrCat("bucket ", bucket, " out of range (", buckets, ")"));
      }
      if (!std::isfinite(s.weights(i))) return corrupt("non-finite weight");
    }
    if (!Finite(s.bias())) return corrupt("bias not finite or beyond 1e100");
  }
  if (!Finite(model.calibration().a()) || !Finite(model.calibration().b())) {
    return corrupt("calibration not finite or beyond 1e100");
  }
  const model::Thresholds& th = model.thresholds();
  if (!(th.unsure() >= 0 && th.unsure() <= th.spam() && th.spam() <= 1)) {
    return corrupt(absl::StrCat("thresholds unsure=", th.unsure(), " spam=", th.spam(),
                                " not 0 <= unsure <= spam <= 1"));
  }
  // Training figures are only shown, but they are counted with (ham = posts - spam
  // overflowed for posts = INT64_MIN).
  const model::TrainingInfo& info = model.training();
  const auto counts_ok = [](int64_t posts, int64_t spam) {
    return posts >= 0 && spam >= 0 && spam <= posts;
  };
  for (const auto& [what, metrics] :
       {std::pair<const char*, const model::Metrics*>{"training", &info.train_metrics()},
        {"validation", &info.validation_metrics()}}) {
    if (!counts_ok(metrics->posts(), metrics->spam())) {
      return corrupt(absl::StrCat(what, " metrics count ", metrics->spam(), " spam of ",
                                  metrics->posts(), " posts"));
    }
    for (int64_t n : metrics->confusion()) {
      if (n < 0) return corrupt(absl::StrCat(what, " metrics with a negative count"));
    }
  }
  if (!counts_ok(info.train_posts(), info.train_spam()) ||
      !counts_ok(info.validation_posts(), info.validation_spam())) {
    return corrupt(absl::StrCat("training counts ", info.train_spam(), " spam of ",
                                info.train_posts(), " posts, ", info.validation_spam(),
                                " of ", info.validation_posts(), " in validation"));
  }
  return absl::OkStatus();
}

}  // namespace groupguard::internal

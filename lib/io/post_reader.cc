#include "groupguard/post_reader.h"

#include <utility>

#include "io/block_reader.h"
#include "io/record_parser.h"
#include "util/status_macros.h"

namespace groupguard {
namespace {

class BlockPostReader : public PostReader {
 public:
  BlockPostReader(std::unique_ptr<internal::BlockReader> blocks,
                  internal::RecordParser parser)
      : blocks_(std::move(blocks)), parser_(std::move(parser)) {}

  // Reads the CSV/TSV header, if any.
  absl::Status Start() {
    while (parser_.needs_header()) {
      GG_ASSIGN_OR_RETURN(bool more, NextBlockIfNeeded());
      if (!more) return absl::OkStatus();
      GG_ASSIGN_OR_RETURN(bool have, parser_.ReadHeader(block_.data(), &pos_, &line_));
      (void)have;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<bool> Next(Post* post) override {
    for (;;) {
      GG_ASSIGN_OR_RETURN(bool more, NextBlockIfNeeded());
      if (!more) return false;
      GG_ASSIGN_OR_RETURN(bool have, parser_.Next(block_.data(), &pos_, &line_, post));
      if (have) return true;
    }
  }

  const std::string& name() const override { return blocks_->name(); }
  uint64_t bytes_consumed() const override { return blocks_->bytes_consumed(); }
  std::optional<uint64_t> input_size() const override { return blocks_->size(); }

 private:
  // Makes sure the current block has unread bytes; false at the end of the input.
  absl::StatusOr<bool> NextBlockIfNeeded() {
    while (pos_ >= block_.data().size()) {
      if (done_) return false;
      absl::StatusOr<bool> more = blocks_->Next(&block_);
      pos_ = 0;
      line_ = block_.first_line();
      parser_.SetDroppedBom(blocks_->dropped_bom());
      if (!more.ok()) return more.status();
      if (!*more) {
        done_ = true;
        return false;
      }
    }
    return true;
  }

  std::unique_ptr<internal::BlockReader> blocks_;
  internal::RecordParser parser_;
  internal::RecordBlock block_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  bool done_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<PostReader>> PostReader::Open(
    absl::string_view path, const PostReaderOptions& options) {
  GG_ASSIGN_OR_RETURN(internal::RecordParser parser,
                      internal::RecordParser::Create(
                          options, path == "-" ? absl::string_view("<stdin>") : path));
  internal::BlockReaderOptions block_options;
  block_options.quoted_records = options.format == DumpFormat::kCsv;
  block_options.max_record_bytes = options.max_record_bytes;
  block_options.block_bytes = size_t{256} << 10;
  GG_ASSIGN_OR_RETURN(auto blocks, internal::BlockReader::Open(path, block_options));
  auto reader = std::make_unique<BlockPostReader>(std::move(blocks), std::move(parser));
  GG_RETURN_IF_ERROR(reader->Start());
  return std::unique_ptr<PostReader>(std::move(reader));
}

absl::StatusOr<std::vector<Post>> ReadPosts(absl::string_view path,
                                            const PostReaderOptions& options) {
  GG_ASSIGN_OR_RETURN(auto reader, PostReader::Open(path, options));
  std::vector<Post> posts;
  for (;;) {
    Post post;
    GG_ASSIGN_OR_RETURN(bool more, reader->Next(&post));
    if (!more) break;
    posts.push_back(std::move(post));
  }
  return posts;
}

}  // namespace groupguard

#include "system/store/mapped_file.h"

#include <algorithm>
#include <vector>

#include "system/store/limits.h"

namespace rmqsim::store {

MappedFile::MappedFile(std::unique_ptr<File> file, std::string path, int64_t from,
                       int64_t file_size)
    : file_(std::move(file)), path_(std::move(path)), from_(from), file_size_(file_size) {}

MappedFile::~MappedFile() {
  if (!destroyed_) file_->Close();
}

StatusOr<std::shared_ptr<MappedFile>> MappedFile::Create(FileSystem& fs, std::string path,
                                                         int64_t from, int64_t file_size) {
  auto f = fs.Open(path, OpenMode::kCreateTruncate);
  if (!f.ok()) return f.status().WithContext("create segment '" + path + "'");
  return std::shared_ptr<MappedFile>(
      new MappedFile(std::move(*f), std::move(path), from, file_size));
}

StatusOr<std::shared_ptr<MappedFile>> MappedFile::OpenExisting(FileSystem& fs, std::string path,
                                                               int64_t from, int64_t file_size) {
  auto f = fs.Open(path, OpenMode::kOpenExisting);
  if (!f.ok()) return f.status().WithContext("open segment '" + path + "'");
  auto size = (*f)->Size();
  if (!size.ok()) return size.status().WithContext("size of segment '" + path + "'");
  if (*size > static_cast<uint64_t>(file_size)) {
    return FailedPreconditionError("segment '" + path + "' is " + std::to_string(*size) +
                                   " bytes, larger than the configured segment size " +
                                   std::to_string(file_size));
  }
  std::shared_ptr<MappedFile> mf(new MappedFile(std::move(*f), std::move(path), from, file_size));
  mf->physical_ = static_cast<int64_t>(*size);
  mf->wrote_ = file_size;
  mf->flushed_ = file_size;
  return mf;
}

void MappedFile::SetPositions(int64_t pos) {
  RMQ_ASSERT(pos >= 0 && pos <= file_size_);
  wrote_ = pos;
  flushed_ = pos;
}

Status MappedFile::Append(common::ByteSpan bytes) {
  RMQ_ASSERT_MSG(wrote_ + static_cast<int64_t>(bytes.size()) <= file_size_,
                 "append past the end of segment " + path_);
  RMQ_RETURN_IF_ERROR(file_->WriteAt(static_cast<uint64_t>(wrote_), bytes));
  wrote_ += static_cast<int64_t>(bytes.size());
  physical_ = std::max(physical_, wrote_);
  return Status::Ok();
}

Status MappedFile::AppendEndOfFile(common::ByteSpan marker) {
  RMQ_ASSERT(wrote_ + static_cast<int64_t>(marker.size()) <= file_size_);
  RMQ_RETURN_IF_ERROR(file_->WriteAt(static_cast<uint64_t>(wrote_), marker));
  physical_ = std::max(physical_, wrote_ + static_cast<int64_t>(marker.size()));
  wrote_ = file_size_;
  return Status::Ok();
}

StatusOr<size_t> MappedFile::Read(int64_t pos, std::span<std::byte> out) const {
  if (out.empty()) return static_cast<size_t>(0);
  if (pos < 0 || pos >= physical_) {
    return OutOfRangeError("read at " + std::to_string(pos) + " of segment '" + path_ +
                           "' (physical size " + std::to_string(physical_) + ")");
  }
  size_t n =
      static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(out.size()), physical_ - pos));
  size_t done = 0;
  while (done < n) {
    auto r = file_->ReadAt(static_cast<uint64_t>(pos) + done, out.subspan(done, n - done));
    if (!r.ok()) return r.status();
    if (*r == 0) break;
    done += *r;
  }
  return done;
}

Status MappedFile::ReadFully(int64_t pos, std::span<std::byte> out) const {
  RMQ_ASSIGN_OR_RETURN(size_t n, Read(pos, out));
  if (n != out.size()) {
    return OutOfRangeError("short read of " + std::to_string(out.size()) + " bytes at " +
                           std::to_string(pos) + " of segment '" + path_ + "'");
  }
  return Status::Ok();
}

Status MappedFile::TruncatePhysical(int64_t size) {
  if (size >= physical_) return Status::Ok();
  RMQ_RETURN_IF_ERROR(file_->Truncate(static_cast<uint64_t>(size)));
  physical_ = size;
  return Status::Ok();
}

void MappedFile::Sync(File::SyncHandler done) {
  file_->Sync(std::move(done));
}

Status MappedFile::RewriteUnflushed() {
  int64_t end = std::min(wrote_, physical_);
  std::vector<std::byte> chunk;
  for (int64_t pos = flushed_; pos < end;) {
    size_t n = static_cast<size_t>(
        std::min<int64_t>(end - pos, static_cast<int64_t>(limits::kRewriteChunkBytes)));
    chunk.resize(n);
    RMQ_RETURN_IF_ERROR(ReadFully(pos, chunk));
    RMQ_RETURN_IF_ERROR(file_->WriteAt(static_cast<uint64_t>(pos), chunk));
    pos += static_cast<int64_t>(n);
  }
  needs_rewrite_ = false;
  return Status::Ok();
}

Status MappedFile::Destroy(FileSystem& fs) {
  if (!destroyed_) file_->Close();
  destroyed_ = true;
  Status s = fs.Remove(path_);
  if (!s.ok() && s.code() != StatusCode::kNotFound) return s;
  return Status::Ok();
}

}  // namespace rmqsim::store

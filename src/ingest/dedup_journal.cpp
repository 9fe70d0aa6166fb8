// Reading, appending and compacting the dedup journal (docs/formats/dedup.md).
// Frames have a fixed size, so a reader needs no length field to trust and a
// torn tail is simply the first frame that does not check out.
#include "ingest/dedup_journal.h"

#include <fcntl.h>

#include <cstring>

#include "core/logging.h"
#include "log/crc32c.h"

namespace eventlake::ingest {
namespace {

constexpr size_t kReadChunkFrames = 16384;  // 768 KiB per read

template <typename T>
void Put(std::string* out, T v) {  // little-endian host, as the log formats assume
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}
template <typename T>
T Get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

void SealFrame(std::string* out, size_t start) {
  uint32_t crc =
      log::crc32c::Mask(log::crc32c::Value(out->data() + start + 4, kJournalFrameSize - 4));
  std::memcpy(out->data() + start, &crc, 4);
}

bool HeaderIsValid(const char* h, HashSecret* secret) {
  if (std::memcmp(h, kJournalMagic, 8) != 0) return false;
  if (Get<uint32_t>(h + 24) != kJournalFrameSize) return false;
  if (log::crc32c::Unmask(Get<uint32_t>(h + 28)) != log::crc32c::Value(h, 28)) return false;
  *secret = {Get<uint64_t>(h + 8), Get<uint64_t>(h + 16)};
  return true;
}

// Decodes one frame into `contents`; false when it is not a valid frame.
bool DecodeFrame(const char* f, JournalContents* contents) {
  if (log::crc32c::Unmask(Get<uint32_t>(f)) != log::crc32c::Value(f + 4, kJournalFrameSize - 4)) {
    return false;
  }
  const uint32_t kind = Get<uint32_t>(f + 4);
  if (kind == kFrameCheckpoint) {
    contents->safe_time = Get<int64_t>(f + 40);
    return true;
  }
  if (kind != kFrameEntry) return false;
  DedupEntry e;
  e.key = {Get<uint64_t>(f + 8), Get<uint64_t>(f + 16)};
  e.position = {Get<uint32_t>(f + 24), Get<uint64_t>(f + 32)};
  e.time = Get<int64_t>(f + 40);
  contents->entries.push_back(e);
  return true;
}

// Reads frames until the first invalid one; returns how many were valid.
Result<uint64_t> ReadFrames(int fd, const std::string& path, JournalContents* contents) {
  std::string chunk(kReadChunkFrames * kJournalFrameSize, '\0');
  uint64_t frames = 0;
  for (;;) {
    const uint64_t at = kJournalHeaderSize + frames * kJournalFrameSize;
    EL_ASSIGN_OR_RETURN(size_t n, PReadUpTo(fd, chunk.data(), chunk.size(), at, path));
    const size_t whole = n / kJournalFrameSize;
    for (size_t i = 0; i < whole; ++i) {
      if (!DecodeFrame(chunk.data() + i * kJournalFrameSize, contents)) return frames;
      ++frames;
    }
    if (n < chunk.size()) return frames;
  }
}

}  // namespace

std::string EncodeJournalHeader(const HashSecret& secret) {
  std::string h(kJournalMagic, 8);
  Put(&h, secret.k0);
  Put(&h, secret.k1);
  Put(&h, static_cast<uint32_t>(kJournalFrameSize));
  Put(&h, log::crc32c::Mask(log::crc32c::Value(h.data(), 28)));
  return h;
}

void AppendEntryFrame(const DedupEntry& entry, std::string* out) {
  const size_t start = out->size();
  Put(out, uint32_t{0});
  Put(out, kFrameEntry);
  Put(out, entry.key.w0);
  Put(out, entry.key.w1);
  Put(out, entry.position.partition);
  Put(out, uint32_t{0});
  Put(out, entry.position.offset);
  Put(out, entry.time);
  SealFrame(out, start);
}

void AppendCheckpointFrame(TimestampMicros safe_time, std::string* out) {
  const size_t start = out->size();
  Put(out, uint32_t{0});
  Put(out, kFrameCheckpoint);
  out->append(32, '\0');
  Put(out, safe_time);
  SealFrame(out, start);
}

Result<std::unique_ptr<DedupJournal>> DedupJournal::Create(const std::string& path,
                                                           JournalContents* contents) {
  EL_ASSIGN_OR_RETURN(HashSecret secret, NewHashSecret());
  EL_RETURN_IF_ERROR(WriteFileAtomically(path, EncodeJournalHeader(secret)));
  EL_ASSIGN_OR_RETURN(FileHandle file, OpenFile(path, O_RDWR | O_APPEND));
  contents->created = true;
  return std::unique_ptr<DedupJournal>(new DedupJournal(path, secret, std::move(file), 0));
}

Result<std::unique_ptr<DedupJournal>> DedupJournal::Open(const std::string& path,
                                                         TimestampMicros now,
                                                         JournalContents* contents) {
  *contents = {};
  Result<FileHandle> file = OpenFile(path, O_RDWR | O_APPEND);
  if (!file.has_value() && file.error().code() == StatusCode::kNotFound) {
    return Create(path, contents);
  }
  if (!file.has_value()) return Err(file.error());
  char header[kJournalHeaderSize];
  EL_ASSIGN_OR_RETURN(size_t n, PReadUpTo(file->fd(), header, sizeof(header), 0, path));
  HashSecret secret;
  if (n < kJournalHeaderSize || !HeaderIsValid(header, &secret)) {
    const std::string aside = path + ".corrupt-" + std::to_string(now);
    LogError("dedup", "journal header is bad; setting it aside and rebuilding from the stream",
             {{"path", path}, {"moved_to", aside}});
    EL_RETURN_IF_ERROR(RenameDurably(path, aside));
    return Create(path, contents);
  }
  EL_ASSIGN_OR_RETURN(uint64_t frames, ReadFrames(file->fd(), path, contents));
  EL_ASSIGN_OR_RETURN(uint64_t size, FileSize(file->fd(), path));
  const uint64_t valid = kJournalHeaderSize + frames * kJournalFrameSize;
  if (size > valid) {
    contents->torn_bytes = size - valid;
    LogWarn("dedup", "journal has a torn tail; truncating it",
            {{"path", path}, {"valid_bytes", valid}, {"dropped_bytes", size - valid}});
    EL_RETURN_IF_ERROR(Truncate(file->fd(), valid, path));
  }
  return std::unique_ptr<DedupJournal>(new DedupJournal(path, secret, std::move(*file), frames));
}

Status DedupJournal::Append(std::span<const DedupEntry> entries, TimestampMicros safe_time) {
  buffer_.clear();
  for (const DedupEntry& e : entries) AppendEntryFrame(e, &buffer_);
  AppendCheckpointFrame(safe_time, &buffer_);
  EL_RETURN_IF_ERROR(WriteAll(file_.fd(), buffer_, path_));
  frames_ += entries.size() + 1;
  return Status::Ok();
}

Status DedupJournal::Sync() { return SyncData(file_.fd(), path_); }

Result<DedupJournal::Rewriter> DedupJournal::StartRewrite() {
  const std::string tmp = path_ + ".tmp";
  EL_ASSIGN_OR_RETURN(FileHandle file, OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC));
  EL_RETURN_IF_ERROR(WriteAll(file.fd(), EncodeJournalHeader(secret_), tmp));
  return Rewriter(this, std::move(file));
}

Status DedupJournal::Rewriter::Add(std::span<const DedupEntry> entries) {
  std::string& buffer = journal_->buffer_;
  buffer.clear();
  for (const DedupEntry& e : entries) AppendEntryFrame(e, &buffer);
  frames_ += entries.size();
  return WriteAll(file_.fd(), buffer, journal_->path_ + ".tmp");
}

Status DedupJournal::Rewriter::Finish(TimestampMicros safe_time) {
  const std::string tmp = journal_->path_ + ".tmp";
  std::string checkpoint;
  AppendCheckpointFrame(safe_time, &checkpoint);
  EL_RETURN_IF_ERROR(WriteAll(file_.fd(), checkpoint, tmp));
  EL_RETURN_IF_ERROR(SyncData(file_.fd(), tmp));
  file_ = FileHandle();
  EL_RETURN_IF_ERROR(RenameDurably(tmp, journal_->path_));
  EL_ASSIGN_OR_RETURN(FileHandle file, OpenFile(journal_->path_, O_RDWR | O_APPEND));
  journal_->file_ = std::move(file);
  journal_->frames_ = frames_ + 1;
  return Status::Ok();
}

}  // namespace eventlake::ingest

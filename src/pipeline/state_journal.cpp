// StateJournal: framed, synced appends; a torn tail cut at open.
#include "pipeline/state_journal.h"

#include <fcntl.h>

#include <cstring>
#include <filesystem>

#include "log/crc32c.h"

namespace eventlake::pipeline {
namespace {

std::string FrameOf(std::string_view payload) {
  std::string frame(kStateFrameHeader, '\0');
  const uint32_t crc = log::crc32c::Mask(log::crc32c::Value(payload));
  const uint32_t length = static_cast<uint32_t>(payload.size());
  std::memcpy(frame.data(), &crc, 4);
  std::memcpy(frame.data() + 4, &length, 4);
  frame.append(payload);
  return frame;
}

std::string_view Magic() { return {kStateJournalMagic, sizeof kStateJournalMagic}; }

}  // namespace

Result<std::unique_ptr<StateJournal>> StateJournal::Open(const std::string& path, std::vector<std::string>* frames) {
  frames->clear();
  EL_RETURN_IF_ERROR(CreateDirectories(std::filesystem::path(path).parent_path().string()));
  std::string content;
  if (PathExists(path)) {
    EL_ASSIGN_OR_RETURN(content, ReadFile(path));
    if (!content.empty() && !std::string_view(content).starts_with(Magic())) {
      EL_RETURN_IF_ERROR(RenameDurably(path, path + ".corrupt"));
      content.clear();
    }
  }
  EL_ASSIGN_OR_RETURN(FileHandle file, OpenFile(path, O_RDWR | O_CREAT));
  if (content.size() < Magic().size()) {  // new (or cut inside its header)
    EL_RETURN_IF_ERROR(Truncate(file.fd(), 0, path));
    EL_RETURN_IF_ERROR(PWriteAll(file.fd(), Magic(), 0, path));
    EL_RETURN_IF_ERROR(SyncFile(file.fd(), path));
    EL_RETURN_IF_ERROR(SyncDirectory(std::filesystem::path(path).parent_path().string()));
    return std::unique_ptr<StateJournal>(new StateJournal(path, std::move(file), Magic().size()));
  }
  size_t at = Magic().size();
  while (content.size() - at >= kStateFrameHeader) {
    uint32_t crc;
    uint32_t length;
    std::memcpy(&crc, content.data() + at, 4);
    std::memcpy(&length, content.data() + at + 4, 4);
    if (length > kMaxStateFrame || content.size() - at - kStateFrameHeader < length) break;
    const std::string_view payload(content.data() + at + kStateFrameHeader, length);
    if (log::crc32c::Mask(log::crc32c::Value(payload)) != crc) break;
    frames->emplace_back(payload);
    at += kStateFrameHeader + length;
  }
  if (at != content.size()) {  // a torn tail: what follows was never answered
    EL_RETURN_IF_ERROR(Truncate(file.fd(), at, path));
    EL_RETURN_IF_ERROR(SyncData(file.fd(), path));
  }
  return std::unique_ptr<StateJournal>(new StateJournal(path, std::move(file), at));
}

Status StateJournal::Append(std::string_view payload) {
  if (payload.size() > kMaxStateFrame) return ResourceExhausted("a state frame over 1 GiB: " + path_);
  const std::string frame = FrameOf(payload);
  EL_RETURN_IF_ERROR(PWriteAll(file_.fd(), frame, size_, path_));
  EL_RETURN_IF_ERROR(SyncData(file_.fd(), path_));
  size_ += frame.size();
  return Status::Ok();
}

Status StateJournal::Rewrite(std::string_view payload) {
  if (payload.size() > kMaxStateFrame) return ResourceExhausted("a state frame over 1 GiB: " + path_);
  std::string content(Magic());
  content += FrameOf(payload);
  EL_RETURN_IF_ERROR(WriteFileAtomically(path_, content));
  EL_ASSIGN_OR_RETURN(FileHandle file, OpenFile(path_, O_RDWR));
  file_ = std::move(file);
  size_ = content.size();
  return Status::Ok();
}

}  // namespace eventlake::pipeline

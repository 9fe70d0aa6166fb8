// Opening a partition after a clean stop or a crash (docs/formats/log.md,
// "Recovery on open"): sealed segments get a structural check and are
// quarantined when they fail it; the active segment is scanned record by
// record and cut at the first frame that is not a valid record, after its
// tail has been copied to quarantine/.
#include <fcntl.h>

#include <algorithm>

#include "core/logging.h"
#include "log/partition_impl.h"
#include "log/record_format.h"

namespace eventlake::log {
namespace {

std::string QuarantineDir(const std::string& dir) { return dir + "/quarantine"; }

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

Status Partition::Impl::Recover() {
  EL_RETURN_IF_ERROR(CreateDirectories(dir_));
  EL_ASSIGN_OR_RETURN(std::vector<std::string> names, ListDirectory(dir_));
  std::vector<uint64_t> bases;
  for (const std::string& name : names) {
    uint64_t base = 0;
    if (ParseSegmentFileName(name, "log", &base)) {
      bases.push_back(base);
    } else if (name.ends_with(".tmp")) {
      EL_RETURN_IF_ERROR(RemoveFile(dir_ + "/" + name));  // an interrupted atomic write
    }
  }
  for (const std::string& name : names) {  // an index whose segment retention removed
    uint64_t base = 0;
    if (ParseSegmentFileName(name, "idx", &base) &&
        std::find(bases.begin(), bases.end(), base) == bases.end()) {
      EL_RETURN_IF_ERROR(RemoveFile(dir_ + "/" + name));
    }
  }
  std::vector<std::shared_ptr<Segment>> segments;
  for (size_t i = 0; i + 1 < bases.size(); ++i) {
    Result<std::shared_ptr<Segment>> sealed = OpenSealedSegment(bases[i]);
    if (sealed.has_value()) {
      segments.push_back(std::move(*sealed));
    } else if (sealed.error().code() == StatusCode::kCorruption) {
      EL_RETURN_IF_ERROR(Quarantine(bases[i], sealed.error()));
    } else {
      return sealed.error();
    }
  }
  std::shared_ptr<Segment> active;
  if (bases.empty()) {
    EL_ASSIGN_OR_RETURN(active, CreateSegment(0));
  } else {
    EL_ASSIGN_OR_RETURN(active, RecoverActiveSegment(bases.back()));
  }
  segments.push_back(active);
  ReportGaps(segments);

  std::unique_lock state(state_mu_);
  segments_ = std::move(segments);
  size_bytes_ = 0;
  for (const auto& segment : segments_) {
    size_bytes_ += segment->size;
    last_time_ = std::max(last_time_, segment->last_time);
  }
  active_ = active;
  written_size_ = active->size;
  file_size_ = active->size;
  durable_end_ = active->next_offset;
  next_offset_ = active->next_offset;
  return Status::Ok();
}

// Offsets between one segment's last record and the next segment's base were
// lost (a sealed segment cut short) or moved aside (quarantine). The records
// that remain are valid, so they keep being served; the gap is made loud.
void Partition::Impl::ReportGaps(const std::vector<std::shared_ptr<Segment>>& segments) {
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    uint64_t end = segments[i]->next_offset;
    uint64_t next_base = segments[i + 1]->base_offset;
    if (end == next_base) continue;
    metrics_.missing_offsets->Increment(next_base > end ? next_base - end : 0);
    LogError("log", "offsets missing between segments",
             {{"stream", context_.stream}, {"partition", context_.id},
              {"segment", segments[i]->log_path}, {"ends_at", end}, {"next_base", next_base}});
  }
}

Result<std::shared_ptr<Segment>> Partition::Impl::CreateSegment(uint64_t base) {
  auto segment = std::make_shared<Segment>();
  segment->base_offset = base;
  segment->next_offset = base;
  segment->log_path = SegmentLogPath(dir_, base);
  segment->index_path = SegmentIndexPath(dir_, base);
  EL_ASSIGN_OR_RETURN(segment->file,
                      OpenFile(segment->log_path, O_RDWR | O_CREAT | O_TRUNC, 0644));
  EL_RETURN_IF_ERROR(WriteAll(segment->file.fd(), EncodeSegmentHeader(base), segment->log_path));
  EL_RETURN_IF_ERROR(SyncData(segment->file.fd(), segment->log_path));
  EL_RETURN_IF_ERROR(SyncDirectory(dir_));
  segment->size = kSegmentHeaderSize;
  return segment;
}

Result<std::shared_ptr<Segment>> Partition::Impl::OpenSealedSegment(uint64_t base) {
  auto segment = std::make_shared<Segment>();
  segment->base_offset = base;
  segment->next_offset = base;
  segment->sealed = true;
  segment->log_path = SegmentLogPath(dir_, base);
  segment->index_path = SegmentIndexPath(dir_, base);
  EL_ASSIGN_OR_RETURN(segment->file, OpenFile(segment->log_path, O_RDONLY));
  EL_ASSIGN_OR_RETURN(segment->size, FileSize(segment->file.fd(), segment->log_path));
  char header[kSegmentHeaderSize];
  EL_ASSIGN_OR_RETURN(size_t n, PReadUpTo(segment->file.fd(), header, sizeof(header), 0,
                                          segment->log_path));
  EL_RETURN_IF_ERROR(CheckSegmentHeader(std::string_view(header, n), base));

  // Trust the index only if it decodes cleanly; otherwise rebuild it.
  Result<std::string> index_file = ReadFile(segment->index_path);
  bool index_ok = false;
  if (index_file.has_value()) {
    Result<std::vector<IndexEntry>> index = DecodeIndex(*index_file, base, segment->size);
    // The first record always has an entry; the last is checked by the scan below.
    bool first_ok = index.has_value() && !index->empty() && (*index)[0].relative_offset == 0 &&
                    (*index)[0].position == kSegmentHeaderSize;
    if (first_ok || (index.has_value() && index->empty() && segment->size == kSegmentHeaderSize)) {
      segment->index = std::move(*index);
      index_ok = true;
    }
  }
  uint64_t scan_from = kSegmentHeaderSize;
  uint64_t expected = base;
  if (index_ok && !segment->index.empty()) {
    scan_from = segment->index.back().position;
    expected = base + segment->index.back().relative_offset;
    segment->first_time = segment->index.front().append_time;
  }
  SegmentScanner scanner(segment->file.fd(), segment->log_path, scan_from, segment->size);
  ScannedRecord record;
  while (scanner.Next(&record)) {
    if (record.offset != expected) {
      return Err(Corruption("record at position " + std::to_string(record.position) +
                            " has offset " + std::to_string(record.offset) + ", expected " +
                            std::to_string(expected)));
    }
    if (!index_ok) {
      if (segment->index.empty() ||
          record.position - segment->index.back().position >= options_.index_interval_bytes) {
        segment->index.push_back({static_cast<uint32_t>(record.offset - base),
                                  static_cast<uint32_t>(record.position), record.append_time});
      }
    }
    if (segment->first_time == 0) segment->first_time = record.append_time;
    segment->last_time = record.append_time;
    ++expected;
  }
  if (scanner.stop() == SegmentScanner::Stop::kIOError) return Err(IOError(scanner.error()));
  if (scanner.stop() != SegmentScanner::Stop::kEnd) {
    return Err(Corruption("at position " + std::to_string(scanner.position()) + ": " +
                          scanner.error()));
  }
  segment->next_offset = expected;
  if (!index_ok) {
    LogWarn("log", "rebuilt a segment index", {{"segment", segment->log_path}});
    EL_RETURN_IF_ERROR(
        WriteFileAtomically(segment->index_path, EncodeIndex(base, segment->index)));
  }
  return segment;
}

Result<std::shared_ptr<Segment>> Partition::Impl::RecoverActiveSegment(uint64_t base) {
  auto segment = std::make_shared<Segment>();
  segment->base_offset = base;
  segment->next_offset = base;
  segment->log_path = SegmentLogPath(dir_, base);
  segment->index_path = SegmentIndexPath(dir_, base);
  EL_ASSIGN_OR_RETURN(segment->file, OpenFile(segment->log_path, O_RDWR));
  EL_ASSIGN_OR_RETURN(uint64_t file_size, FileSize(segment->file.fd(), segment->log_path));
  char header[kSegmentHeaderSize];
  EL_ASSIGN_OR_RETURN(size_t n, PReadUpTo(segment->file.fd(), header, sizeof(header), 0,
                                          segment->log_path));
  if (!CheckSegmentHeader(std::string_view(header, n), base).ok()) {
    // Torn while being created: keep the bytes, start the segment afresh.
    EL_RETURN_IF_ERROR(SaveTail(*segment, 0, file_size));
    segment->file = FileHandle();
    return CreateSegment(base);
  }
  segment->size = kSegmentHeaderSize;
  SegmentScanner scanner(segment->file.fd(), segment->log_path, kSegmentHeaderSize, file_size);
  ScannedRecord record;
  uint64_t valid_end = kSegmentHeaderSize;
  std::string_view why;
  while (scanner.Next(&record)) {
    if (record.offset != segment->next_offset) {
      why = "offset out of sequence";
      break;
    }
    if (segment->index.empty() ||
        record.position - segment->index.back().position >= options_.index_interval_bytes) {
      segment->index.push_back({static_cast<uint32_t>(record.offset - base),
                                static_cast<uint32_t>(record.position), record.append_time});
    }
    if (segment->empty()) segment->first_time = record.append_time;
    segment->last_time = record.append_time;
    segment->next_offset = record.offset + 1;
    valid_end = record.position + record.frame_size;
  }
  if (scanner.stop() == SegmentScanner::Stop::kIOError) return Err(IOError(scanner.error()));
  if (why.empty()) why = scanner.error();
  if (valid_end < file_size) {
    EL_ASSIGN_OR_RETURN(bool torn, SaveTail(*segment, valid_end, file_size));
    EL_RETURN_IF_ERROR(Truncate(segment->file.fd(), valid_end, segment->log_path));
    EL_RETURN_IF_ERROR(SyncData(segment->file.fd(), segment->log_path));
    if (torn) {
      metrics_.truncated_bytes->Increment(file_size - valid_end);
      LogWarn("log", "truncated a torn segment tail",
              {{"segment", segment->log_path}, {"position", valid_end},
               {"bytes", file_size - valid_end}, {"reason", why}});
    } else {
      // Zeros only: the space the writer fills ahead (partition.cpp), left by a crash.
      LogDebug("log", "cut the zero-filled space after the last record",
               {{"segment", segment->log_path}, {"position", valid_end},
                {"bytes", file_size - valid_end}});
    }
  }
  segment->size = valid_end;
  return segment;
}

// Copies bytes [from, size) of the segment to quarantine/<name>.tail-<from>,
// durably, unless they are all zero (space that was never written).
Result<bool> Partition::Impl::SaveTail(const Segment& segment, uint64_t from, uint64_t size) {
  std::string tail(size - from, '\0');
  EL_ASSIGN_OR_RETURN(size_t n, PReadUpTo(segment.file.fd(), tail.data(), tail.size(), from,
                                          segment.log_path));
  tail.resize(n);
  if (tail.find_first_not_of('\0') == std::string::npos) return false;
  std::string qdir = QuarantineDir(dir_);
  EL_RETURN_IF_ERROR(CreateDirectories(qdir));
  std::string path = qdir + "/" + Basename(segment.log_path) + ".tail-" + std::to_string(from);
  EL_RETURN_IF_ERROR(WriteFileAtomically(path, tail));
  return true;
}

Status Partition::Impl::Quarantine(uint64_t base, const Status& why) {
  std::string qdir = QuarantineDir(dir_);
  EL_RETURN_IF_ERROR(CreateDirectories(qdir));
  std::string log_path = SegmentLogPath(dir_, base);
  std::string index_path = SegmentIndexPath(dir_, base);
  EL_RETURN_IF_ERROR(RenameDurably(log_path, qdir + "/" + Basename(log_path)));
  if (PathExists(index_path)) {
    EL_RETURN_IF_ERROR(RenameDurably(index_path, qdir + "/" + Basename(index_path)));
  }
  EL_RETURN_IF_ERROR(SyncDirectory(dir_));
  metrics_.quarantined_segments->Increment();
  LogError("log", "quarantined a corrupt segment",
           {{"stream", context_.stream}, {"partition", context_.id}, {"segment", log_path},
            {"reason", why.ToString()}});
  return Status::Ok();
}

}  // namespace eventlake::log

// Offline verification of a log directory: every record's frame, checksum,
// offset sequence and event encoding; every index entry; every offsets file.
#include "log/log_check.h"

#include <fcntl.h>

#include <algorithm>
#include <charconv>

#include "core/file.h"
#include "log/event_codec.h"
#include "log/offset_store.h"
#include "log/segment.h"
#include "log/stream_options_table.h"

namespace eventlake::log {
namespace {

bool IsPartitionName(const std::string& name) {
  uint32_t id = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
  return ec == std::errc() && ptr == name.data() + name.size() && std::to_string(id) == name;
}

struct SegmentFacts {
  bool seen = false;  // false before the partition's first segment
  uint64_t next_offset = 0;
  int64_t last_time = 0;
};

// Checks that every index entry points at the record it claims.
void CheckIndex(const std::string& path, const Segment& segment, LogCheckReport* report) {
  if (!PathExists(segment.index_path)) return;  // derived data; rebuilt when missing
  Result<std::string> contents = ReadFile(segment.index_path);
  if (!contents.has_value()) {
    report->problems.push_back(segment.index_path + ": " + contents.error().message());
    return;
  }
  Result<std::vector<IndexEntry>> index =
      DecodeIndex(*contents, segment.base_offset, segment.size);
  if (!index.has_value()) {
    report->problems.push_back(segment.index_path + ": " + index.error().message());
    return;
  }
  for (const IndexEntry& entry : *index) {
    SegmentScanner scanner(segment.file.fd(), path, entry.position, segment.size);
    ScannedRecord record;
    if (!scanner.Next(&record) || record.offset != segment.base_offset + entry.relative_offset ||
        record.append_time != entry.append_time) {
      report->problems.push_back(segment.index_path + ": entry for offset " +
                                 std::to_string(segment.base_offset + entry.relative_offset) +
                                 " does not point at that record");
      return;
    }
  }
}

SegmentFacts CheckSegment(const std::string& dir, uint64_t base, bool last,
                          SegmentFacts previous, LogCheckReport* report) {
  Segment segment;
  segment.base_offset = base;
  segment.log_path = SegmentLogPath(dir, base);
  segment.index_path = SegmentIndexPath(dir, base);
  SegmentFacts facts{true, base, previous.last_time};
  Result<FileHandle> file = OpenFile(segment.log_path, O_RDONLY);
  Result<uint64_t> size = file.has_value() ? FileSize(file->fd(), segment.log_path)
                                           : Result<uint64_t>(Err(file.error()));
  if (!size.has_value()) {
    report->problems.push_back(segment.log_path + ": " + size.error().message());
    return facts;
  }
  segment.file = std::move(*file);
  segment.size = *size;
  report->segments++;
  report->bytes += segment.size;
  char header[kSegmentHeaderSize];
  Result<size_t> n = PReadUpTo(segment.file.fd(), header, sizeof(header), 0, segment.log_path);
  Status header_ok = n.has_value() ? CheckSegmentHeader(std::string_view(header, *n), base)
                                   : n.error();
  if (!header_ok.ok()) {
    report->problems.push_back(segment.log_path + ": " + header_ok.message());
    return facts;
  }
  if (previous.seen && previous.next_offset != base) {
    // Retention deletes only from the front, so a gap between two segments is
    // explained only by a segment that recovery moved to quarantine/.
    std::string gap = segment.log_path + ": offsets " + std::to_string(previous.next_offset) +
                      ".." + std::to_string(base - 1) + " are missing before this segment";
    bool quarantined =
        PathExists(dir + "/quarantine/" + SegmentLogPath("", previous.next_offset).substr(1));
    if (quarantined) {
      report->notes.push_back(gap + " (in quarantine/)");
    } else {
      report->problems.push_back(gap);
    }
  }
  SegmentScanner scanner(segment.file.fd(), segment.log_path, kSegmentHeaderSize, segment.size);
  ScannedRecord record;
  while (scanner.Next(&record)) {
    std::string where = segment.log_path + " offset " + std::to_string(record.offset) +
                        " (position " + std::to_string(record.position) + ")";
    if (record.offset != facts.next_offset) {
      report->problems.push_back(where + ": expected offset " +
                                 std::to_string(facts.next_offset));
      return facts;
    }
    if (record.append_time < facts.last_time) {
      report->problems.push_back(where + ": append time goes backwards");
    }
    Result<CloudEvent> event = DecodeEvent(record.payload);
    if (!event.has_value()) report->problems.push_back(where + ": " + event.error().message());
    facts.next_offset = record.offset + 1;
    facts.last_time = record.append_time;
    report->records++;
  }
  if (scanner.stop() != SegmentScanner::Stop::kEnd) {
    std::string what = segment.log_path + " at position " + std::to_string(scanner.position()) +
                       ": " + scanner.error();
    bool torn_tail = last && scanner.stop() == SegmentScanner::Stop::kTruncated;
    (torn_tail ? report->notes : report->problems)
        .push_back(torn_tail ? what + " (where the written data ends: the next start cuts the rest)"
                             : what);
  }
  CheckIndex(segment.log_path, segment, report);
  return facts;
}

void CheckPartition(const std::string& dir, LogCheckReport* report) {
  report->partitions++;
  Result<std::vector<std::string>> names = ListDirectory(dir);
  if (!names.has_value()) {
    report->problems.push_back(dir + ": " + names.error().message());
    return;
  }
  std::vector<uint64_t> bases;
  for (const std::string& name : *names) {
    uint64_t base = 0;
    if (ParseSegmentFileName(name, "log", &base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());
  SegmentFacts facts;
  for (size_t i = 0; i < bases.size(); ++i) {
    facts = CheckSegment(dir, bases[i], i + 1 == bases.size(), facts, report);
  }
  Result<std::vector<std::string>> quarantined = ListDirectory(dir + "/quarantine");
  if (quarantined.has_value()) report->quarantined_files += quarantined->size();
}

void CheckGroups(const std::string& dir, LogCheckReport* report) {
  Result<std::vector<std::string>> names = ListDirectory(dir);
  if (!names.has_value()) return;  // no groups yet
  for (const std::string& name : *names) {
    if (!name.ends_with(".offsets")) continue;
    Result<std::string> text = ReadFile(dir + "/" + name);
    Result<std::vector<uint64_t>> offsets =
        text.has_value() ? OffsetStore::Decode(*text)
                         : Result<std::vector<uint64_t>>(Err(text.error()));
    if (!offsets.has_value()) {
      report->problems.push_back(dir + "/" + name + ": " + offsets.error().message());
    }
  }
}

}  // namespace

Result<LogCheckReport> CheckLog(const std::string& log_dir) {
  EL_ASSIGN_OR_RETURN(std::vector<std::string> streams, ListDirectory(log_dir));
  LogCheckReport report;
  for (const std::string& stream : streams) {
    std::string dir = log_dir + "/" + stream;
    Result<std::string> meta = ReadFile(dir + "/stream.json");
    if (!meta.has_value()) continue;  // not a stream directory
    report.streams++;
    Result<StreamOptions> options = StreamOptionsFromJson(*meta);
    if (!options.has_value()) {
      report.problems.push_back(dir + "/stream.json: " + options.error().message());
    }
    EL_ASSIGN_OR_RETURN(std::vector<std::string> entries, ListDirectory(dir));
    for (const std::string& entry : entries) {
      if (IsPartitionName(entry)) CheckPartition(dir + "/" + entry, &report);
    }
    CheckGroups(dir + "/groups", &report);
  }
  return report;
}

}  // namespace eventlake::log

// The journal of a dedup window: a file of CRC32C-framed entries and
// checkpoints that lets the window survive a restart. The format, and why a
// checkpoint carries a "safe time", are in docs/formats/dedup.md.
//
// Writes are never fsync'ed except by Rewrite (compaction) and Sync: the stream is the
// source of truth, and whatever the journal lost in a crash is read back from
// the stream from the last checkpoint's safe time on. Not thread-safe: the
// window's flush thread (or Open) is its only user.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/file.h"
#include "core/status.h"
#include "ingest/dedup_key.h"
#include "ingest/dedup_table.h"

namespace eventlake::ingest {

inline constexpr char kJournalMagic[8] = {'E', 'L', 'D', 'E', 'D', 'U', 'P', '1'};
inline constexpr size_t kJournalHeaderSize = 32;
inline constexpr size_t kJournalFrameSize = 48;
inline constexpr uint32_t kFrameEntry = 1;
inline constexpr uint32_t kFrameCheckpoint = 2;

// What Open found in the file.
struct JournalContents {
  std::vector<DedupEntry> entries;  // in file order, expired ones included
  // The safe time of the last valid checkpoint; nullopt for a new journal or
  // one without a checkpoint (then everything in the window is rebuilt).
  std::optional<TimestampMicros> safe_time;
  bool created = false;     // no usable journal was there
  uint64_t torn_bytes = 0;  // dropped after the last valid frame
};

class DedupJournal {
 public:
  // Opens `path`, reading every valid frame and truncating a torn tail; a
  // missing file is created with a new secret, a file with a bad header is
  // renamed to `<path>.corrupt-<now>` and replaced. `now` names that file.
  static Result<std::unique_ptr<DedupJournal>> Open(const std::string& path, TimestampMicros now,
                                                    JournalContents* contents);

  const HashSecret& secret() const { return secret_; }
  const std::string& path() const { return path_; }
  // Frames in the file, for the compaction rule.
  uint64_t frames() const { return frames_; }

  // Appends `entries` and then a checkpoint of `safe_time`, with one write.
  Status Append(std::span<const DedupEntry> entries, TimestampMicros safe_time);
  // Makes what Append wrote durable (fdatasync), for users that have no
  // stream to read lost entries back from (the pipelines' dedup step).
  Status Sync();

  // Compaction: `.tmp` is written with the header, the frames of Rewriter::Add
  // and a final checkpoint, synced, and renamed over the journal.
  class Rewriter {
   public:
    Status Add(std::span<const DedupEntry> entries);
    Status Finish(TimestampMicros safe_time);  // installs the new file

   private:
    friend class DedupJournal;
    Rewriter(DedupJournal* journal, FileHandle file) : journal_(journal), file_(std::move(file)) {}
    DedupJournal* journal_;
    FileHandle file_;
    uint64_t frames_ = 0;
  };
  Result<Rewriter> StartRewrite();

 private:
  DedupJournal(std::string path, HashSecret secret, FileHandle file, uint64_t frames)
      : path_(std::move(path)), secret_(secret), file_(std::move(file)), frames_(frames) {}
  static Result<std::unique_ptr<DedupJournal>> Create(const std::string& path,
                                                      JournalContents* contents);

  std::string path_;
  HashSecret secret_;
  FileHandle file_;  // O_APPEND
  uint64_t frames_;
  std::string buffer_;  // reused for encoding
};

// Encoding, exposed for tests that craft files.
std::string EncodeJournalHeader(const HashSecret& secret);
void AppendEntryFrame(const DedupEntry& entry, std::string* out);
void AppendCheckpointFrame(TimestampMicros safe_time, std::string* out);

}  // namespace eventlake::ingest

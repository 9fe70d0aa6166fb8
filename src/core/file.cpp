// POSIX file wrappers (see file.h).
//
// A missing path (ENOENT) is reported as NotFound so that callers can tell "no
// such file yet" from a failing disk; every other failure is an IOError from
// ErrnoError naming the call and the path. EINTR is retried (it is not a
// failure); nothing else is.
#include "core/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace eventlake {
namespace {

Status SysError(std::string_view call, const std::string& path, int errnum) {
  std::string what(call);
  what += ' ';
  what += path;
  if (errnum == ENOENT) return NotFound(ErrnoError(what, errnum).message());
  return ErrnoError(what, errnum);
}

// The directory holding `path`: "a/b" -> "a", "b" -> ".", "/b" -> "/".
std::string ParentDirectory(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace

FileHandle& FileHandle::operator=(FileHandle&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.Release();
  }
  return *this;
}

FileHandle::~FileHandle() {
  if (fd_ >= 0) ::close(fd_);
}

Result<FileHandle> OpenFile(const std::string& path, int flags, int mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Err(SysError("open", path, errno));
  return FileHandle(fd);
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return SysError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status PWriteAll(int fd, std::string_view data, uint64_t offset, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return SysError("pwrite", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Result<size_t> PReadUpTo(int fd, char* buffer, size_t length, uint64_t offset,
                         const std::string& path) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, buffer + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Err(SysError("pread", path, errno));
    }
    if (n == 0) break;  // end of file
    done += static_cast<size_t>(n);
  }
  return done;
}

Status CopyRange(int in, const std::string& in_path, uint64_t from, uint64_t length, int out,
                 const std::string& out_path, uint64_t at) {
  loff_t in_offset = static_cast<loff_t>(from), out_offset = static_cast<loff_t>(at);
  while (length > 0) {
    const ssize_t n = ::copy_file_range(in, &in_offset, out, &out_offset, length, 0);
    if (n > 0) {
      length -= static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) return Corruption(in_path + " ended while it was copied");
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL) {
      return SysError("copy_file_range", in_path + " to " + out_path, errno);
    }
    // Files the kernel will not copy between: through a buffer instead.
    std::string buffer(std::min<uint64_t>(length, 1u << 20), '\0');
    while (length > 0) {
      const size_t want = std::min<uint64_t>(length, buffer.size());
      EL_ASSIGN_OR_RETURN(size_t got, PReadUpTo(in, buffer.data(), want,
                                                static_cast<uint64_t>(in_offset), in_path));
      if (got != want) return Corruption(in_path + " ended while it was copied");
      EL_RETURN_IF_ERROR(PWriteAll(out, std::string_view(buffer.data(), got),
                                   static_cast<uint64_t>(out_offset), out_path));
      in_offset += static_cast<loff_t>(got);
      out_offset += static_cast<loff_t>(got);
      length -= got;
    }
  }
  return Status::Ok();
}

Status SyncData(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0) return SysError("fdatasync", path, errno);
  return Status::Ok();
}

Status SyncFile(int fd, const std::string& path) {
  if (::fsync(fd) != 0) return SysError("fsync", path, errno);
  return Status::Ok();
}

Status SyncDirectory(const std::string& dir) {
  EL_ASSIGN_OR_RETURN(FileHandle handle, OpenFile(dir, O_RDONLY | O_DIRECTORY));
  return SyncFile(handle.fd(), dir);
}

Result<uint64_t> FileSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Err(SysError("fstat", path, errno));
  return static_cast<uint64_t>(st.st_size);
}

Status Truncate(int fd, uint64_t size, const std::string& path) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) return SysError("ftruncate", path, errno);
  return Status::Ok();
}

Status CreateDirectories(const std::string& dir) {
  if (dir.empty()) return SysError("mkdir", "''", ENOENT);
  // Each prefix ending before a '/', then the whole path.
  for (size_t end = dir.find('/', 1);; end = dir.find('/', end + 1)) {
    std::string prefix = dir.substr(0, end);
    if (::mkdir(prefix.c_str(), 0755) == 0) {
      EL_RETURN_IF_ERROR(SyncDirectory(ParentDirectory(prefix)));
    } else if (errno != EEXIST) {
      return SysError("mkdir", prefix, errno);
    } else {
      struct stat st;
      if (::stat(prefix.c_str(), &st) != 0) return SysError("stat", prefix, errno);
      if (!S_ISDIR(st.st_mode)) return SysError("mkdir", prefix, ENOTDIR);
    }
    if (end == std::string::npos) break;
  }
  return Status::Ok();
}

Result<std::string> ReadFile(const std::string& path) {
  EL_ASSIGN_OR_RETURN(FileHandle handle, OpenFile(path, O_RDONLY));
  std::string content;
  char buffer[64 * 1024];
  for (;;) {
    ssize_t n = ::read(handle.fd(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Err(SysError("read", path, errno));
    }
    if (n == 0) return content;
    content.append(buffer, static_cast<size_t>(n));
  }
}

Status WriteFileAtomically(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  Status written = [&]() -> Status {
    EL_ASSIGN_OR_RETURN(FileHandle handle, OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC));
    EL_RETURN_IF_ERROR(WriteAll(handle.fd(), content, tmp));
    EL_RETURN_IF_ERROR(SyncFile(handle.fd(), tmp));
    if (::close(handle.Release()) != 0) return SysError("close", tmp, errno);
    return Status::Ok();
  }();
  if (!written.ok()) {
    ::unlink(tmp.c_str());  // best effort: the old content is still in place
    return written;
  }
  return RenameDurably(tmp, path);
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Result<std::vector<std::string>> ListDirectory(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Err(SysError("opendir", dir, errno));
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(d)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  int read_errno = errno;
  ::closedir(d);
  if (read_errno != 0) return Err(SysError("readdir", dir, read_errno));
  std::sort(names.begin(), names.end());
  return names;
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return SysError("unlink", path, errno);
  return Status::Ok();
}

Status RenameDurably(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    int errnum = errno;
    return SysError("rename " + from + " to", to, errnum);
  }
  std::string to_dir = ParentDirectory(to);
  EL_RETURN_IF_ERROR(SyncDirectory(to_dir));
  std::string from_dir = ParentDirectory(from);
  if (from_dir != to_dir) EL_RETURN_IF_ERROR(SyncDirectory(from_dir));
  return Status::Ok();
}

}  // namespace eventlake

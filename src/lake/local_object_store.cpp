// LocalObjectStore: objects as files, made durable and atomic with
// temporary files, rename/link and directory fsyncs.
#include "lake/local_object_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include "core/file.h"

namespace eventlake::lake {
namespace {

std::string DirOf(const std::string& path) { return path.substr(0, path.rfind('/')); }

std::string RandomSuffix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  uint64_t v = rng();
  for (char& c : out) {
    c = kHex[v & 15];
    v >>= 4;
  }
  return out;
}

int64_t ModifiedMillis(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

// Appends every file under `dir` (whose key prefix is `key_prefix`) to `out`.
Status Walk(const std::string& dir, const std::string& key_prefix, std::string_view want,
            std::vector<ObjectInfo>* out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::Ok();
    return ErrnoError("opendir " + dir, errno);
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(d)) {
    if (entry->d_name[0] == '.') continue;  // ".", "..", temporaries
    names.emplace_back(entry->d_name);
  }
  closedir(d);
  for (const std::string& name : names) {
    const std::string key = key_prefix + name;
    const std::string path = dir + "/" + name;
    // Skip subtrees that cannot hold a key with the wanted prefix.
    const size_t common = std::min(key.size(), want.size());
    if (key.compare(0, common, want.substr(0, common)) != 0) continue;
    struct stat st{};
    if (lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // deleted while listing
      return ErrnoError("stat " + path, errno);
    }
    if (S_ISDIR(st.st_mode)) {
      EL_RETURN_IF_ERROR(Walk(path, key + "/", want, out));
    } else if (S_ISREG(st.st_mode) && key.starts_with(want)) {
      out->push_back({key, static_cast<uint64_t>(st.st_size), ModifiedMillis(st)});
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(const std::string& root) {
  if (root.empty()) return Err(InvalidArgument("local object store: empty root"));
  std::string clean = root;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  auto store = std::unique_ptr<LocalObjectStore>(new LocalObjectStore(clean));
  EL_RETURN_IF_ERROR(CreateDirectories(store->StagingDirectory()));
  return store;
}

Result<std::string> LocalObjectStore::PathOf(std::string_view key) const {
  EL_RETURN_IF_ERROR(ValidateObjectKey(key));
  if (key == "_staging" || key.starts_with("_staging/")) {
    return Err(InvalidArgument("object key " + std::string(key) + ": _staging is reserved"));
  }
  return root_ + "/" + std::string(key);
}

std::optional<std::string> LocalObjectStore::LocalPath(std::string_view key) const {
  auto path = PathOf(key);
  if (!path.has_value()) return std::nullopt;
  return *path;
}

Result<std::string> LocalObjectStore::WriteTemporary(const std::string& path,
                                                     std::string_view data) const {
  EL_RETURN_IF_ERROR(CreateDirectories(DirOf(path)));
  const std::string name = path.substr(path.rfind('/') + 1);
  const std::string tmp = DirOf(path) + "/." + name + ".tmp-" + RandomSuffix();
  EL_ASSIGN_OR_RETURN(FileHandle file, OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644));
  Status s = WriteAll(file.fd(), data, tmp);
  if (s.ok()) s = SyncFile(file.fd(), tmp);
  if (!s.ok()) {
    unlink(tmp.c_str());
    return Err(s);
  }
  return tmp;
}

Status LocalObjectStore::Put(std::string_view key, std::string_view data) {
  EL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
  EL_ASSIGN_OR_RETURN(std::string tmp, WriteTemporary(path, data));
  Status s = RenameDurably(tmp, path);
  if (!s.ok()) unlink(tmp.c_str());
  return s;
}

Status LocalObjectStore::PutIfAbsent(std::string_view key, std::string_view data) {
  EL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
  EL_ASSIGN_OR_RETURN(std::string tmp, WriteTemporary(path, data));
  const int linked = link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  unlink(tmp.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return AlreadyExists("object " + std::string(key) + " exists");
    return ErrnoError("link " + path, link_errno);
  }
  return SyncDirectory(DirOf(path));
}

Status LocalObjectStore::PutFile(std::string_view key, const std::string& local_path) {
  EL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
  {
    EL_ASSIGN_OR_RETURN(FileHandle file, OpenFile(local_path, O_RDONLY));
    EL_RETURN_IF_ERROR(SyncFile(file.fd(), local_path));
  }
  EL_RETURN_IF_ERROR(CreateDirectories(DirOf(path)));
  return RenameDurably(local_path, path);
}

Result<std::string> LocalObjectStore::Get(std::string_view key) const {
  EL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
  return ReadFile(path);
}

Result<std::string> LocalObjectStore::GetRange(std::string_view key, uint64_t offset,
                                               uint64_t length) const {
  EL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
  EL_ASSIGN_OR_RETURN(FileHandle file, OpenFile(path, O_RDONLY));
  EL_ASSIGN_OR_RETURN(uint64_t size, FileSize(file.fd(), path));
  if (offset >= size) return std::string();
  std::string out(std::min(length, size - offset), '\0');
  EL_ASSIGN_OR_RETURN(size_t got, PReadUpTo(file.fd(), out.data(), out.size(), offset, path));
  out.resize(got);
  return out;
}

Status LocalObjectStore::GetToFile(std::string_view key, const std::string& local_path) const {
  EL_ASSIGN_OR_RETURN(std::string data, Get(key));
  return WriteFileAtomically(local_path, data);
}

Result<ObjectInfo> LocalObjectStore::Head(std::string_view key) const {
  EL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Err(NotFound("object " + std::string(key) + " not found"));
    return Err(ErrnoError("stat " + path, errno));
  }
  if (!S_ISREG(st.st_mode)) return Err(NotFound("object " + std::string(key) + " not found"));
  return ObjectInfo{std::string(key), static_cast<uint64_t>(st.st_size), ModifiedMillis(st)};
}

Result<std::vector<ObjectInfo>> LocalObjectStore::List(std::string_view prefix) const {
  std::vector<ObjectInfo> out;
  DIR* d = opendir(root_.c_str());
  if (d == nullptr) return Err(ErrnoError("opendir " + root_, errno));
  closedir(d);
  EL_RETURN_IF_ERROR(Walk(root_, "", prefix, &out));
  std::erase_if(out, [](const ObjectInfo& o) { return o.key.starts_with("_staging/"); });
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

Result<std::vector<std::string>> LocalObjectStore::ListDirectories(std::string_view prefix) const {
  std::string dir = root_;
  if (!prefix.empty()) {
    if (!prefix.ends_with("/")) return Err(InvalidArgument("ListDirectories: prefix must end in '/'"));
    EL_ASSIGN_OR_RETURN(dir, PathOf(prefix.substr(0, prefix.size() - 1)));
  }
  auto names = ListDirectory(dir);
  if (!names.has_value()) {
    if (names.error().code() == StatusCode::kNotFound) return std::vector<std::string>{};
    return Err(names.error());
  }
  std::vector<std::string> out;
  for (const std::string& name : *names) {
    if (name.starts_with(".") || (prefix.empty() && name == "_staging")) continue;
    struct stat st{};
    if (stat((dir + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) out.push_back(name);
  }
  return out;
}

Status LocalObjectStore::Delete(std::string_view key) {
  EL_ASSIGN_OR_RETURN(std::string path, PathOf(key));
  if (unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return ErrnoError("unlink " + path, errno);
  }
  return SyncDirectory(DirOf(path));
}

Status LocalObjectStore::Copy(std::string_view from, std::string_view to) {
  EL_ASSIGN_OR_RETURN(std::string source, PathOf(from));
  EL_ASSIGN_OR_RETURN(std::string target, PathOf(to));
  EL_ASSIGN_OR_RETURN(FileHandle in, OpenFile(source, O_RDONLY));
  EL_ASSIGN_OR_RETURN(std::string tmp, WriteTemporary(target, ""));
  Status s = [&]() -> Status {
    EL_ASSIGN_OR_RETURN(FileHandle out, OpenFile(tmp, O_WRONLY));
    // In the kernel where it can, without the data passing through here.
    EL_ASSIGN_OR_RETURN(uint64_t size, FileSize(in.fd(), source));
    EL_RETURN_IF_ERROR(CopyRange(in.fd(), source, 0, size, out.fd(), tmp, 0));
    EL_RETURN_IF_ERROR(SyncFile(out.fd(), tmp));
    return RenameDurably(tmp, target);
  }();
  if (!s.ok()) unlink(tmp.c_str());
  return s;
}

}  // namespace eventlake::lake

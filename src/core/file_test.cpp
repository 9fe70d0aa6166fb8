// Tests for the POSIX file wrappers, in a fresh temporary directory per test.
#include "core/file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace eventlake {
namespace {

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/eventlake-file-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

TEST_F(FileTest, WriteAllThenReadFileRoundTripsBinaryContent) {
  std::string content(200'000, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 31);
  {
    Result<FileHandle> f = OpenFile(Path("a"), O_WRONLY | O_CREAT | O_TRUNC);
    ASSERT_TRUE(f.has_value()) << f.error().ToString();
    ASSERT_TRUE(WriteAll(f->fd(), content, Path("a")).ok());
    ASSERT_TRUE(SyncData(f->fd(), Path("a")).ok());
    EXPECT_EQ(FileSize(f->fd(), Path("a")).value(), content.size());
  }
  EXPECT_EQ(ReadFile(Path("a")).value(), content);
}

TEST_F(FileTest, OpenOfMissingFileIsNotFoundNamingThePath) {
  Result<FileHandle> f = OpenFile(Path("missing"), O_RDONLY);
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(f.error().message(), "open " + Path("missing") + ": No such file or directory");
  EXPECT_EQ(ReadFile(Path("missing")).error().code(), StatusCode::kNotFound);
}

TEST_F(FileTest, OtherFailuresAreIOErrors) {
  // Opening a directory for writing fails with EISDIR.
  Result<FileHandle> f = OpenFile(dir_, O_WRONLY);
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().code(), StatusCode::kIOError);
  EXPECT_NE(f.error().message().find(dir_), std::string::npos);
  EXPECT_EQ(WriteAll(-1, "x", "bad fd").code(), StatusCode::kIOError);
  EXPECT_EQ(SyncFile(-1, "bad fd").code(), StatusCode::kIOError);
}

TEST_F(FileTest, OpenedDescriptorsAreCloseOnExec) {
  Result<FileHandle> f = OpenFile(Path("a"), O_WRONLY | O_CREAT);
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(::fcntl(f->fd(), F_GETFD) & FD_CLOEXEC);
}

TEST_F(FileTest, FileHandleClosesOnDestructionAndMoves) {
  int fd = -1;
  {
    FileHandle a = OpenFile(Path("a"), O_WRONLY | O_CREAT).value();
    fd = a.fd();
    FileHandle b = std::move(a);
    EXPECT_FALSE(a.valid());
    EXPECT_EQ(b.fd(), fd);
    FileHandle c;
    c = std::move(b);
    EXPECT_EQ(c.fd(), fd);
    EXPECT_NE(::fcntl(fd, F_GETFD), -1);
  }
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // closed
}

TEST_F(FileTest, PWriteAndPReadAtOffsetsAndShortReadAtEnd) {
  FileHandle f = OpenFile(Path("p"), O_RDWR | O_CREAT).value();
  ASSERT_TRUE(PWriteAll(f.fd(), "hello", 10, Path("p")).ok());
  char buffer[32];
  Result<size_t> n = PReadUpTo(f.fd(), buffer, sizeof(buffer), 8, Path("p"));
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(*n, 7u);  // two zero bytes of the hole, then "hello"
  EXPECT_EQ(std::string(buffer, *n), std::string("\0\0hello", 7));
  EXPECT_EQ(PReadUpTo(f.fd(), buffer, sizeof(buffer), 100, Path("p")).value(), 0u);
}

TEST_F(FileTest, TruncateShrinksTheFile) {
  FileHandle f = OpenFile(Path("t"), O_RDWR | O_CREAT).value();
  ASSERT_TRUE(WriteAll(f.fd(), "0123456789", Path("t")).ok());
  ASSERT_TRUE(Truncate(f.fd(), 4, Path("t")).ok());
  EXPECT_EQ(FileSize(f.fd(), Path("t")).value(), 4u);
  EXPECT_EQ(ReadFile(Path("t")).value(), "0123");
}

TEST_F(FileTest, WriteFileAtomicallyReplacesContentAndLeavesNoTemporary) {
  ASSERT_TRUE(WriteFileAtomically(Path("offsets"), "v1").ok());
  ASSERT_TRUE(WriteFileAtomically(Path("offsets"), "version two").ok());
  EXPECT_EQ(ReadFile(Path("offsets")).value(), "version two");
  EXPECT_FALSE(PathExists(Path("offsets.tmp")));
  EXPECT_EQ(ListDirectory(dir_).value(), std::vector<std::string>{"offsets"});
}

TEST_F(FileTest, WriteFileAtomicallyIntoMissingDirectoryFailsWithoutTouchingAnything) {
  Status s = WriteFileAtomically(Path("nodir/x"), "data");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nodir/x.tmp"), std::string::npos) << s.ToString();
  EXPECT_TRUE(ListDirectory(dir_).value().empty());
}

TEST_F(FileTest, CreateDirectoriesCreatesParentsAndAcceptsExisting) {
  ASSERT_TRUE(CreateDirectories(Path("a/b/c")).ok());
  struct stat st;
  ASSERT_EQ(::stat(Path("a/b/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(CreateDirectories(Path("a/b/c")).ok());
  EXPECT_TRUE(CreateDirectories(Path("a/b/c/")).ok());
  EXPECT_TRUE(CreateDirectories(Path("a//b/d")).ok());
  EXPECT_TRUE(PathExists(Path("a/b/d")));
}

TEST_F(FileTest, CreateDirectoriesFailsWhenAPrefixIsAFile) {
  ASSERT_TRUE(WriteFileAtomically(Path("file"), "x").ok());
  Status s = CreateDirectories(Path("file/sub"));
  EXPECT_EQ(s.code(), StatusCode::kIOError);
  EXPECT_NE(s.message().find("Not a directory"), std::string::npos) << s.ToString();
  EXPECT_FALSE(CreateDirectories("").ok());
}

TEST_F(FileTest, ListDirectoryIsSortedWithoutDotEntries) {
  for (const char* name : {"c", "a", "b.log", "00000000000000000010.log"}) {
    ASSERT_TRUE(WriteFileAtomically(Path(name), "").ok());
  }
  ASSERT_TRUE(CreateDirectories(Path("sub")).ok());
  EXPECT_EQ(ListDirectory(dir_).value(),
            (std::vector<std::string>{"00000000000000000010.log", "a", "b.log", "c", "sub"}));
}

TEST_F(FileTest, ListDirectoryOfMissingDirectoryIsNotFound) {
  EXPECT_EQ(ListDirectory(Path("nope")).error().code(), StatusCode::kNotFound);
}

TEST_F(FileTest, RemoveFileAndRenameDurably) {
  ASSERT_TRUE(WriteFileAtomically(Path("from"), "x").ok());
  ASSERT_TRUE(CreateDirectories(Path("sub")).ok());
  ASSERT_TRUE(RenameDurably(Path("from"), Path("sub/to")).ok());
  EXPECT_FALSE(PathExists(Path("from")));
  EXPECT_EQ(ReadFile(Path("sub/to")).value(), "x");
  ASSERT_TRUE(RemoveFile(Path("sub/to")).ok());
  EXPECT_FALSE(PathExists(Path("sub/to")));
  EXPECT_EQ(RemoveFile(Path("sub/to")).code(), StatusCode::kNotFound);
  EXPECT_EQ(RenameDurably(Path("gone"), Path("x")).code(), StatusCode::kNotFound);
}

TEST_F(FileTest, SyncDirectoryOfMissingDirectoryFails) {
  EXPECT_TRUE(SyncDirectory(dir_).ok());
  EXPECT_FALSE(SyncDirectory(Path("nope")).ok());
}

// A range copied to an offset, within one file system and, where there is
// a tmpfs beside /tmp, across two (where the kernel refuses and a buffer
// copies instead).
TEST_F(FileTest, CopyRangeCopiesARangeToAnOffsetAndSaysWhenTheInputEndsEarly) {
  std::string content(3 << 20, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 + i / 4096);
  ASSERT_TRUE(WriteFileAtomically(Path("in"), content).ok());
  std::vector<std::string> outputs = {Path("out")};
  if (std::filesystem::is_directory("/dev/shm")) outputs.push_back("/dev/shm/eventlake-copy-test");
  for (const std::string& output : outputs) {
    FileHandle in = OpenFile(Path("in"), O_RDONLY).value();
    FileHandle out = OpenFile(output, O_RDWR | O_CREAT | O_TRUNC).value();
    ASSERT_TRUE(PWriteAll(out.fd(), "head", 0, output).ok());
    Status copied = CopyRange(in.fd(), Path("in"), 10, content.size() - 20, out.fd(), output, 4);
    ASSERT_TRUE(copied.ok()) << copied.ToString();
    EXPECT_EQ(ReadFile(output).value(), "head" + content.substr(10, content.size() - 20)) << output;
    Status past_end = CopyRange(in.fd(), Path("in"), content.size() - 5, 10, out.fd(), output, 0);
    EXPECT_EQ(past_end.code(), StatusCode::kCorruption) << past_end.ToString();
    if (output != Path("out")) std::filesystem::remove(output);
  }
}

}  // namespace
}  // namespace eventlake

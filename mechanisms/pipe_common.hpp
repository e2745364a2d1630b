// What pipe and fifo share: the same kernel object (a pipe inode) and so the same limits.
#pragma once

#include <string>

#include "channel.hpp"
#include "sys.hpp"

namespace ipch::pipe_common {

// Applies capacity with F_SETPIPE_SZ to an fd of the pipe. The SetupError names the setting
// and the kernel's limit.
std::expected<void, SetupError> set_capacity(const char* mechanism, int fd, std::size_t capacity);
// Turns an opened pipe end into a channel of `mechanism`, in the blocking mode the settings ask for.
Result<std::unique_ptr<Channel>> make_channel(const char* mechanism, sys::Fd fd, const Settings& s);
// "pipe:[inode]", as /proc/<pid>/fd shows it.
std::string object_name(int fd);

MessageLimit limit();
Contract contract(bool named);
std::vector<SettingInfo> settings();
Traits traits();

}  // namespace ipch::pipe_common

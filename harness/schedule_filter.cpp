#include "schedule_filter.hpp"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>

#include "sys.hpp"

namespace ipch::schedule {

namespace {

constexpr long kTrapped[] = {
    SYS_read,         SYS_write,       SYS_readv,          SYS_writev,       SYS_recvfrom,    SYS_sendto,
    SYS_recvmsg,      SYS_sendmsg,     SYS_recvmmsg,       SYS_sendmmsg,     SYS_connect,     SYS_accept,
    SYS_accept4,      SYS_msgsnd,      SYS_msgrcv,         SYS_mq_timedsend, SYS_mq_timedreceive,
    SYS_semop,        SYS_semtimedop,  SYS_futex,          SYS_sched_yield,  SYS_poll,        SYS_ppoll,
    SYS_select,       SYS_pselect6,    SYS_epoll_wait,     SYS_epoll_pwait,  SYS_epoll_pwait2,
    SYS_kill,         SYS_tgkill,      SYS_tkill,          SYS_exit_group,   SYS_nanosleep,   SYS_clock_nanosleep,
};

constexpr std::uint32_t low(std::uint64_t v) { return static_cast<std::uint32_t>(v); }

}  // namespace

std::span<const long> trapped_calls() { return kTrapped; }

bool is_trapped(long nr) { return std::find(std::begin(kTrapped), std::end(kTrapped), nr) != std::end(kTrapped); }

Result<void> enter_schedule(int handoff_fd, const std::vector<int>& untrapped_fds, int cpu) {
#if !defined(__x86_64__)
  (void)handoff_fd, (void)untrapped_fds, (void)cpu;
  return std::unexpected(std::make_error_code(std::errc::not_supported));
#else
  if (cpu >= 0) (void)sys::pin_to_cpu(0, cpu);
  std::vector<sock_filter> code;
  auto stmt = [&](std::uint16_t c, std::uint32_t k) { code.push_back(BPF_STMT(c, k)); };
  auto jump = [&](std::uint16_t c, std::uint32_t k, std::uint8_t t, std::uint8_t f) { code.push_back(BPF_JUMP(c, k, t, f)); };
  const std::uint32_t allow = SECCOMP_RET_ALLOW, notify = SECCOMP_RET_USER_NOTIF;
  // A foreign ABI (x32, i386) runs untrapped: its numbers mean other calls.
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  stmt(BPF_RET | BPF_K, allow);
  stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
  jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);
  stmt(BPF_RET | BPF_K, allow);
  if (!untrapped_fds.empty()) {
    const auto n = static_cast<std::uint8_t>(untrapped_fds.size());
    // nr == write || nr == writev: test args[0] (its low half); else skip to the trapped list.
    jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 1, 0);
    jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_writev, 0, static_cast<std::uint8_t>(n + 4));
    stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[0]));
    for (std::uint8_t i = 0; i < n; ++i)
      jump(BPF_JMP | BPF_JEQ | BPF_K, low(static_cast<std::uint64_t>(untrapped_fds[i])), static_cast<std::uint8_t>(n + 1 - i), 0);
    stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));  // no match: back to the number
    stmt(BPF_JMP | BPF_JA, 1);                                     // over the ALLOW
    stmt(BPF_RET | BPF_K, allow);
  }
  const auto calls = trapped_calls();
  for (std::size_t i = 0; i < calls.size(); ++i)
    jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(calls[i]), static_cast<std::uint8_t>(calls.size() - i), 0);
  stmt(BPF_RET | BPF_K, allow);
  stmt(BPF_RET | BPF_K, notify);
  sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
  auto listener = sys::seccomp_filter_with_listener(&prog);
  if (!listener) return std::unexpected(listener.error());
  if (auto r = sys::dup_to(listener->get(), handoff_fd, O_CLOEXEC); !r) return r;
  listener.value().reset();
  ::syscall(SYS_sched_yield);  // the first point: returns once the supervisor holds the listener
  return {};
#endif
}

}  // namespace ipch::schedule

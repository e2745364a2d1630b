#include "interleave.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "child.hpp"
#include "seed.hpp"
#include "sys.hpp"

namespace ipch::claims {

std::string InterleaveResult::describe() const {
  return fmt::format("{} writers x {} records of {} B: {} of {} torn", writers, writers ? records / writers : 0,
                     record_size, torn, records);
}

namespace {

// Every byte carries its writer in the high nibble, so the reader can tell whose bytes it holds
// without trusting any boundary; the low nibbles hold the record's header (seq, checksum) and
// seeded payload, so a record put together from its writer's bytes can be verified as a whole.
constexpr std::size_t kHeaderNibbles = 16;  // 8 of seq, 8 of checksum
constexpr std::size_t kMaxWriters = 16;

std::uint32_t checksum(const std::byte* payload, std::size_t n) {
  std::uint32_t h = 2166136261u;  // FNV-1a over the low nibbles
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<std::uint32_t>(payload[i]) & 0xF;
    h *= 16777619u;
  }
  return h;
}

void fill_record(std::vector<std::byte>& rec, std::uint32_t writer, std::uint32_t seq, std::uint64_t seed) {
  const auto tag = static_cast<std::uint8_t>(writer << 4);
  std::uint64_t state = derive_seed(seed, fmt::format("record/{}/{}", writer, seq));
  std::uint64_t bits = 0;
  for (std::size_t i = kHeaderNibbles; i < rec.size(); ++i) {
    if ((i - kHeaderNibbles) % 16 == 0) bits = splitmix64(state);
    rec[i] = static_cast<std::byte>(tag | (bits & 0xF));
    bits >>= 4;
  }
  const std::uint32_t sum = checksum(rec.data() + kHeaderNibbles, rec.size() - kHeaderNibbles);
  for (std::size_t i = 0; i < 8; ++i) {
    rec[i] = static_cast<std::byte>(tag | ((seq >> (4 * i)) & 0xF));
    rec[8 + i] = static_cast<std::byte>(tag | ((sum >> (4 * i)) & 0xF));
  }
}

std::uint32_t nibbles(const std::byte* p) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v |= (static_cast<std::uint32_t>(p[i]) & 0xF) << (4 * i);
  return v;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// When each write() began and returned, in memory every writer shares with the reader.
struct WriteTimes {
  std::int64_t start_ns = 0, end_ns = 0;
  std::uint32_t calls = 0;  // write() calls the record took: 1 unless a signal cut one short
};

class SharedTimes {
 public:
  explicit SharedTimes(std::size_t n) : size_(std::max<std::size_t>(n, 1) * sizeof(WriteTimes)) {
    auto p = sys::mmap(size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
    if (!p) throw std::runtime_error("interleave: mmap of the write times failed: " + describe(p.error()));
    times_ = static_cast<WriteTimes*>(*p);
  }
  SharedTimes(const SharedTimes&) = delete;
  SharedTimes& operator=(const SharedTimes&) = delete;
  ~SharedTimes() { (void)sys::munmap(times_, size_); }
  WriteTimes& operator[](std::size_t i) { return times_[i]; }

 private:
  std::size_t size_;
  WriteTimes* times_ = nullptr;
};

// A stretch of the stream that holds bytes of one record, and of no other.
struct Run {
  std::uint32_t writer = 0;
  std::uint64_t record = 0;  // writer * records_each + seq
  std::uint64_t offset = 0;  // in the stream
  std::uint64_t len = 0;
};
struct ReadCall {
  std::int64_t t_ns = 0;
  std::uint64_t offset = 0, len = 0;
};

// A writer is settled once it has ended or sleeps in the stream's write path: from then on it
// cannot get ahead of the others without the reader.
bool settled(const Child& c, const std::string& wchan_part) {
  const std::string s = c.state();
  if (s.empty() || s[0] == 'Z') return true;
  return (s[0] == 'S' || s[0] == 'D') && s.find(wchan_part, 2) != std::string::npos;
}

class Parser {
 public:
  Parser(std::size_t writers, std::size_t record_size, std::size_t records_each)
      : size_(record_size),
        each_(records_each),
        count_(writers, 0),
        partial_(writers),
        torn_(writers * records_each, false),
        span_(writers * records_each, {0, 0}) {
    for (auto& p : partial_) p.reserve(record_size);
  }

  void feed(const std::byte* p, std::size_t n, std::uint64_t stream_offset) {
    std::size_t i = 0;
    while (i < n) {
      const auto w = static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[i]) >> 4);
      std::size_t j = i + 1;
      while (j < n && (static_cast<std::uint8_t>(p[j]) >> 4) == w) ++j;
      take(w, p + i, j - i, stream_offset + i);
      i = j;
    }
  }

  std::uint64_t torn() const { return static_cast<std::uint64_t>(std::count(torn_.begin(), torn_.end(), true)); }
  std::optional<std::uint64_t> first_torn() const { return first_torn_; }
  const std::vector<Run>& runs() const { return runs_; }
  // The stream offsets of a record's first byte and one past its last.
  std::pair<std::uint64_t, std::uint64_t> span(std::uint64_t record) const { return span_.at(record); }

 private:
  void mark(std::uint64_t record) {
    if (record >= torn_.size()) return;
    if (!torn_[record] && !first_torn_) first_torn_ = record;
    torn_[record] = true;
  }

  void take(std::uint32_t w, const std::byte* p, std::size_t n, std::uint64_t offset) {
    if (w >= count_.size()) {  // no writer has this id: the byte was damaged in the stream
      if (prev_) mark(current(*prev_));
      return;
    }
    // Another writer's bytes arrive while the previous writer's record is unfinished: torn.
    if (prev_ && *prev_ != w && count_[*prev_] % size_ != 0) mark(current(*prev_));
    prev_ = w;
    while (n > 0) {
      const std::size_t room = size_ - partial_[w].size();
      const std::size_t k = std::min(room, n);
      const std::uint64_t rec = current(w);
      if (!runs_.empty() && runs_.back().record == rec && runs_.back().offset + runs_.back().len == offset) {
        runs_.back().len += k;
      } else {
        runs_.push_back({w, rec, offset, k});
      }
      if (rec < span_.size()) {
        if (partial_[w].empty()) span_[rec].first = offset;
        span_[rec].second = offset + k;
      }
      partial_[w].insert(partial_[w].end(), p, p + k);
      count_[w] += k;
      p += k;
      offset += k;
      n -= k;
      if (partial_[w].size() == size_) {
        verify(w);
        partial_[w].clear();
      }
    }
  }

  // A record put together from its writer's bytes must carry its own seq and checksum.
  void verify(std::uint32_t w) {
    const std::uint64_t seq = count_[w] / size_ - 1;
    const std::byte* r = partial_[w].data();
    const bool whole = nibbles(r) == seq && nibbles(r + 8) == checksum(r + kHeaderNibbles, size_ - kHeaderNibbles);
    if (!whole) mark(w * each_ + seq);
  }

  std::uint64_t current(std::uint32_t w) const { return w * each_ + count_[w] / size_; }

  std::size_t size_, each_;
  std::vector<std::uint64_t> count_;
  std::vector<std::vector<std::byte>> partial_;
  std::vector<bool> torn_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> span_;
  std::optional<std::uint32_t> prev_;
  std::optional<std::uint64_t> first_torn_;
  std::vector<Run> runs_;
};

// The torn record, the reads that returned its bytes, and the writes whose bytes those reads
// held, as lanes and marks.
Timeline draw_torn(std::uint64_t torn, const Parser& parser, const std::vector<ReadCall>& reads, SharedTimes& times,
                   const std::vector<pid_t>& pids, std::size_t record_size, std::size_t records_each,
                   std::int64_t t0_ns, const std::string& stream_name) {
  const auto& runs = parser.runs();
  const auto writer_of = [&](std::uint64_t rec) { return static_cast<std::uint32_t>(rec / records_each); };
  const auto label_of = [&](std::uint64_t rec) { return fmt::format("w{}#{}", writer_of(rec), rec % records_each); };
  const auto ms = [&](std::int64_t ns) { return static_cast<double>(ns - t0_ns) / 1e6; };

  const auto [lo, hi] = parser.span(torn);
  // Keep the reads that overlap the range; if there are many, those with more than one writer.
  std::vector<std::size_t> chosen;
  const auto pieces_of = [&](const ReadCall& rc) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;  // record, bytes
    auto it = std::upper_bound(runs.begin(), runs.end(), rc.offset,
                               [](std::uint64_t off, const Run& r) { return off < r.offset; });
    if (it != runs.begin()) --it;
    for (; it != runs.end() && it->offset < rc.offset + rc.len; ++it) {
      const std::uint64_t a = std::max(it->offset, rc.offset), b = std::min(it->offset + it->len, rc.offset + rc.len);
      if (b > a) out.emplace_back(it->record, b - a);
    }
    return out;
  };
  std::vector<std::size_t> overlapping;
  for (std::size_t i = 0; i < reads.size(); ++i) {
    if (reads[i].offset < hi && reads[i].offset + reads[i].len > lo) overlapping.push_back(i);
  }
  constexpr std::size_t kMaxReads = 30;
  if (overlapping.size() <= kMaxReads) {
    chosen = overlapping;
  } else {
    for (auto i : overlapping) {
      if (chosen.size() < kMaxReads && pieces_of(reads[i]).size() > 1) chosen.push_back(i);
    }
    for (auto i : overlapping) {
      if (chosen.size() >= kMaxReads) break;
      if (std::find(chosen.begin(), chosen.end(), i) == chosen.end()) chosen.push_back(i);
    }
    std::sort(chosen.begin(), chosen.end());
  }

  Timeline t;
  t.title =
      fmt::format("{}: {} writers, records of {} B: {} torn", stream_name, pids.size(), record_size, label_of(torn));
  for (std::size_t w = 0; w < pids.size(); ++w) t.lanes.push_back(fmt::format("writer-{} (pid {})", w, pids[w]));
  const auto reader_lane = static_cast<std::uint32_t>(pids.size());
  t.lanes.push_back(fmt::format("reader (pid {})", ::getpid()));

  // Drawn as writes: the torn record, the records whose bytes landed inside it, and its
  // neighbours in the stream.
  std::set<std::uint64_t> shown{torn};
  constexpr std::size_t kMaxRecords = 20;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const Run& r = runs[k];
    const bool inside = r.offset >= lo && r.offset < hi;
    const bool next_to = (r.offset + r.len == lo) || (r.offset == hi);
    if ((inside || next_to) && shown.size() < kMaxRecords) shown.insert(r.record);
  }
  std::map<std::uint64_t, double> sent_at;
  for (auto rec : shown) {
    const double at = ms(times[rec].start_ns);
    sent_at[rec] = at;
    t.marks.push_back(
        {writer_of(rec), at, Mark::Kind::send, fmt::format("{} write {} B", label_of(rec), record_size), rec == torn});
  }
  // A read's label names the pieces of drawn records, in stream order, "..." for the others.
  for (auto i : chosen) {
    const auto pieces = pieces_of(reads[i]);
    std::vector<std::string> parts;
    bool holds_torn = false, elided = false;
    std::size_t named = 0;
    for (const auto& [rec, n] : pieces) {
      holds_torn = holds_torn || rec == torn;
      if (!shown.count(rec) || named >= 4) {
        if (!elided) parts.push_back("...");
        elided = true;
        continue;
      }
      elided = false;
      ++named;
      parts.push_back(fmt::format("{} {} B", label_of(rec), n));
    }
    std::string label = fmt::format("read {} B:", reads[i].len);
    for (const auto& part : parts) label += " " + part;
    const double at = ms(reads[i].t_ns);
    t.marks.push_back({reader_lane, at, Mark::Kind::receive, label, holds_torn});
    std::set<std::uint64_t> linked;
    for (const auto& [rec, n] : pieces) {
      auto s = sent_at.find(rec);
      if (s == sent_at.end() || !linked.insert(rec).second) continue;
      t.links.push_back({writer_of(rec), reader_lane, s->second, at, rec == torn});
    }
  }
  t.caption = fmt::format(
      "{} (one write() of {} B) reached the reader in pieces with other writers' bytes between them; {} of {} "
      "reads that returned its bytes are drawn",
      label_of(torn), record_size, chosen.size(), overlapping.size());
  return t;
}

}  // namespace

InterleaveResult interleave(StreamKind kind, std::size_t writers, std::size_t record_size, std::size_t records_each,
                            std::uint64_t seed) {
  if (writers == 0 || writers > kMaxWriters) throw std::invalid_argument("interleave: 1 to 16 writers");
  if (record_size < kHeaderNibbles) throw std::invalid_argument("interleave: records of at least 16 B");
  const std::string name = kind == StreamKind::pipe ? "pipe" : "unix-stream";
  const std::string wchan_part = kind == StreamKind::pipe ? "pipe_write" : "send";

  InterleaveResult result;
  result.record_size = record_size;
  result.writers = writers;
  result.records = writers * records_each;

  sys::Fd rd, wr;
  if (kind == StreamKind::pipe) {
    auto p = sys::pipe(O_CLOEXEC);
    if (!p) throw std::runtime_error("interleave: pipe failed: " + describe(p.error()));
    rd = std::move(p->first);
    wr = std::move(p->second);
  } else {
    auto p = sys::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
    if (!p) throw std::runtime_error("interleave: socketpair failed: " + describe(p.error()));
    rd = std::move(p->first);
    wr = std::move(p->second);
  }
  SharedTimes times(writers * records_each);

  const std::int64_t t0 = now_ns();
  std::vector<Child> children;
  std::vector<pid_t> pids;
  for (std::size_t w = 0; w < writers; ++w) {
    auto c = Child::fork([&, w] {
      rd.reset();
      std::vector<std::byte> rec(record_size);
      for (std::size_t seq = 0; seq < records_each; ++seq) {
        fill_record(rec, static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(seq), seed);
        WriteTimes& wt = times[w * records_each + seq];
        wt.start_ns = now_ns();
        std::size_t done = 0;
        while (done < rec.size()) {
          auto n = sys::write(wr.get(), std::span<const std::byte>(rec).subspan(done));
          if (!n) return 10;
          done += *n;
          ++wt.calls;
        }
        wt.end_ns = now_ns();
      }
      return 0;
    });
    if (!c) throw std::runtime_error("interleave: fork failed: " + describe(c.error()));
    pids.push_back(c->pid());
    children.push_back(std::move(*c));
  }
  wr.reset();  // the reader's end of stream comes once every writer has closed

  // Hang guard only: once it passes, reading starts anyway.
  const auto settle = Deadline::after(std::chrono::seconds(5));
  while (!settle.expired()) {
    if (std::all_of(children.begin(), children.end(), [&](const Child& c) { return settled(c, wchan_part); })) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  Parser parser(writers, record_size, records_each);
  std::vector<ReadCall> reads;
  std::vector<std::byte> buf(64 * 1024);
  std::uint64_t received = 0;
  for (;;) {
    if (auto ready = sys::wait_for(rd.get(), POLLIN, Deadline::after(std::chrono::seconds(20))); !ready) {
      throw std::runtime_error(
          fmt::format("interleave: {} read stalled after {} B: {}", name, received, describe(ready.error())));
    }
    auto n = sys::read(rd.get(), buf);
    if (!n) throw std::runtime_error("interleave: read failed: " + describe(n.error()));
    if (*n == 0) break;
    reads.push_back({now_ns(), received, *n});
    parser.feed(buf.data(), *n, received);
    received += *n;
  }
  for (std::size_t w = 0; w < children.size(); ++w) {
    auto e = children[w].wait(std::chrono::seconds(5));
    if (!e || e->signal != 0 || e->code != 0) {
      throw std::runtime_error(fmt::format("interleave: writer {} {}", w, e ? e->describe() : "did not end"));
    }
  }
  if (received != result.records * record_size) {
    throw std::runtime_error(
        fmt::format("interleave: {} B read of {} B written", received, result.records * record_size));
  }
  result.torn = parser.torn();
  if (auto first = parser.first_torn()) {
    result.first_torn.push_back(draw_torn(*first, parser, reads, times, pids, record_size, records_each, t0, name));
  }
  return result;
}

}  // namespace ipch::claims

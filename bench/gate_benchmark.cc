// Gate and registry benchmarks (Release builds only).
//
// BM_Gate_SubmitNotOnProbation: one gate decision for a member not on probation, no
// classifier (classification is benchmarked with the model), with 1 and 2 threads
// submitting. Each thread times every Submit itself and reports p50/p99 in ns as
// counters (the mean over threads); the target is p99 < 1 us with 2 threads.
//
// BM_Gate_SubmitWithClassifier: the same decision through a gate with a classifier
// that costs nothing, 1 and 2 threads: the gate's own cost of reaching its
// classifier (which SetClassifier may replace at any time), and how it scales.
//
// BM_Registry_MillionMembers: 1,000,000 members with 10 memberships each, built
// through the registry API into a journal (sync kNone); reports the resident memory
// the registry adds (target < 1 GB), then the time to recover it from the journal's
// 10M records, and from a snapshot (target < 5 s), as wall-clock and CPU seconds (on
// a shared machine the wall clock includes time the process waited for a core).
//
// BM_Registry_FlagFlaggedEverywhere / BM_Registry_CheckFlaggedEverywhere: a member
// of N groups whom every one of them has flagged (a spammer who joined them all):
// one more Flag (by an administrator, so no rate limit; it extends that group's flag)
// and one CheckPosting. Both read the whole probation, so they grow with N; what
// they must not do is allocate or sort per flag record. ...SiteWideAfter2: the
// CheckPosting with the site-wide rule counting people (a matching per view).
//
// BM_Registry_HoldGroupCommit: Registry::Hold (one held post, one journal record)
// from 1..16 threads into a journal with sync kGroupCommit under $TMPDIR; items/s is
// holds acknowledged per second. Concurrent holds can share an fdatasync only if the
// registry lets them reach the journal together, so this measures that.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "groupguard/classifier.h"
#include "groupguard/clock.h"
#include "groupguard/event_store.h"
#include "groupguard/gate.h"
#include "groupguard/registry.h"

namespace groupguard {
namespace {

// Resident set size of this process, in bytes (from /proc/self/statm).
double RssBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

constexpr int kGateMembers = 100'000;
constexpr int kGateGroups = 50;

struct GateWorld {
  std::unique_ptr<Registry> registry;
  std::unique_ptr<Gate> gate;
  std::vector<Submission> posts;  // prebuilt, so the loop measures the gate alone
};

GateWorld& World() {
  static GateWorld* world = [] {
    auto* w = new GateWorld();
    RegistryOptions options;
    w->registry = *Registry::Open(NewMemoryEventStore(), RealClock(), options);
    for (int g = 0; g < kGateGroups; ++g)
      (void)w->registry->CreateGroup(absl::StrCat("group", g));
    (void)w->registry->AddModerator("group0", "mod");
    std::mt19937 rng(1);
    for (int m = 0; m < kGateMembers; ++m) {
      for (int k = 0; k < 3; ++k) {
        (void)w->registry->Join(absl::StrCat("member", m),
                                absl::StrCat("group", (m + k * 7) % kGateGroups));
      }
    }
    // Some members are on probation, so the state is realistic; they are not submitted.
    for (int m = 0; m < kGateMembers; m += 1000) {
      (void)w->registry->Flag("mod", absl::StrCat("member", m), "group0", "bench");
    }
    w->gate = std::make_unique<Gate>(w->registry.get(), nullptr);
    for (int i = 0; i < 1 << 16; ++i) {
      int m = static_cast<int>(rng() % kGateMembers);
      if (m % 1000 == 0) ++m;
      w->posts.push_back(Submission{absl::StrCat("post", i), absl::StrCat("member", m),
                                    absl::StrCat("group", m % kGateGroups), "hello",
                                    absl::FromUnixSeconds(1'700'000'000)});
    }
    return w;
  }();
  return *world;
}

void BM_Gate_SubmitNotOnProbation(benchmark::State& state) {
  GateWorld& w = World();
  std::vector<int64_t> ns;
  ns.reserve(1 << 20);
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  int64_t published = 0;
  for (auto _ : state) {
    const Submission& post = w.posts[i++ & (w.posts.size() - 1)];
    auto t0 = std::chrono::steady_clock::now();
    auto d = w.gate->Submit(post);
    auto t1 = std::chrono::steady_clock::now();
    published += d.ok() && d->action == Decision::Action::kPublish;
    if (ns.size() < ns.capacity()) {
      ns.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    }
  }
  if (published != state.iterations()) state.SkipWithError("a submit was not published");
  std::sort(ns.begin(), ns.end());
  auto pct = [&ns](double q) {
    return ns.empty() ? 0.0
                      : static_cast<double>(ns[static_cast<size_t>(q * (ns.size() - 1))]);
  };
  state.counters["p50_ns"] =
      benchmark::Counter(pct(0.50), benchmark::Counter::kAvgThreads);
  state.counters["p99_ns"] =
      benchmark::Counter(pct(0.99), benchmark::Counter::kAvgThreads);
  state.counters["p999_ns"] =
      benchmark::Counter(pct(0.999), benchmark::Counter::kAvgThreads);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Gate_SubmitNotOnProbation)->Threads(1)->Threads(2)->UseRealTime();

// Scores every post 0.01 in no time, so that the gate's own cost around a classifier
// (getting hold of it while SetClassifier may replace it) is what is measured.
class ConstantClassifier final : public Classifier {
 public:
  Verdict Score(absl::string_view, const ScoreOptions&) const override {
    Verdict v;
    v.spam_probability = 0.01;
    v.label = Label::kHam;
    return v;
  }
  double SpamProbability(absl::string_view) const override { return 0.01; }
  Label LabelFor(double p) const override {
    return p >= 0.8 ? Label::kSpam : p >= 0.4 ? Label::kUnsure : Label::kHam;
  }
  double unsure_threshold() const override { return 0.4; }
  double spam_threshold() const override { return 0.8; }
  const ModelInfo& info() const override { return info_; }

 private:
  ModelInfo info_;
};

// A gate decision with a classifier (one that costs nothing), from 1 and 2 threads:
// posts per second should double with the threads.
void BM_Gate_SubmitWithClassifier(benchmark::State& state) {
  static Gate* const gate =
      new Gate(World().registry.get(), std::make_shared<ConstantClassifier>());
  GateWorld& w = World();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  int64_t published = 0;
  for (auto _ : state) {
    auto d = gate->Submit(w.posts[i++ & (w.posts.size() - 1)]);
    published += d.ok() && d->action == Decision::Action::kPublish;
  }
  if (published != state.iterations()) state.SkipWithError("a submit was not published");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Gate_SubmitWithClassifier)->Threads(1)->Threads(2)->UseRealTime();

void BM_Registry_MillionMembers(benchmark::State& state) {
  const int members = static_cast<int>(state.range(0));
  constexpr int kMemberships = 10;
  constexpr int kGroups = 1000;
  const std::string dir = (std::filesystem::temp_directory_path() /
                           absl::StrCat("groupguard_bench_", getpid()))
                              .string();
  JournalOptions jo;
  jo.sync = JournalOptions::Sync::kNone;
  for (auto _ : state) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const double rss_before = RssBytes();
    auto t0 = std::chrono::steady_clock::now();
    {
      auto registry =
          *Registry::Open(*OpenJournal(dir, jo), RealClock(), RegistryOptions());
      for (int g = 0; g < kGroups; ++g)
        (void)registry->CreateGroup(absl::StrCat("group", g));
      for (int m = 0; m < members; ++m) {
        const std::string name = absl::StrCat("member", m);
        for (int k = 0; k < kMemberships; ++k) {
          (void)registry->Join(name, absl::StrCat("group", (m * 31 + k * 97) % kGroups));
        }
      }
      state.counters["build_s"] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      state.counters["registry_rss_MB"] = (RssBytes() - rss_before) / 1e6;
    }
    t0 = std::chrono::steady_clock::now();
    std::clock_t c0 = std::clock();
    {
      auto registry =
          Registry::Open(*OpenJournal(dir, jo), RealClock(), RegistryOptions());
      state.counters["recover_journal_cpu_s"] =
          static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
      if (!registry.ok()) {
        state.SkipWithError(std::string(registry.status().message()).c_str());
        break;
      }
      state.counters["recover_journal_s"] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      state.counters["recovered_rss_MB"] = (RssBytes() - rss_before) / 1e6;
      auto t1 = std::chrono::steady_clock::now();
      if (!(*registry)->Compact().ok()) state.SkipWithError("compact failed");
      state.counters["snapshot_write_s"] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    }
    t0 = std::chrono::steady_clock::now();
    c0 = std::clock();
    {
      auto registry =
          Registry::Open(*OpenJournal(dir, jo), RealClock(), RegistryOptions());
      state.counters["recover_snapshot_cpu_s"] =
          static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
      if (!registry.ok()) state.SkipWithError("reopen after compaction failed");
      state.counters["recover_snapshot_s"] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  }
  std::filesystem::remove_all(dir);
  state.counters["members"] = members;
  state.counters["memberships"] = static_cast<double>(members) * kMemberships;
}
// A registry where "spammer" is a member of `groups` groups and flagged from each,
// by the administrator or (`own_moderators`) by each group's own moderator.
std::unique_ptr<Registry> FlaggedEverywhere(int groups, int sitewide_after = 1,
                                            bool own_moderators = false) {
  RegistryOptions options;
  options.sitewide_after_distinct_groups = sitewide_after;
  auto registry = *Registry::Open(NewMemoryEventStore(), RealClock(), options);
  (void)registry->AddAdministrator("admin");
  for (int g = 0; g < groups; ++g) {
    const std::string group = absl::StrCat("group", g);
    const std::string moderator = own_moderators ? absl::StrCat("mod", g) : "admin";
    (void)registry->CreateGroup(group);
    if (own_moderators) (void)registry->AddModerator(group, moderator);
    (void)registry->Join("spammer", group);
    (void)registry->Flag(moderator, "spammer", group, "link spam");
  }
  return registry;
}

void BM_Registry_FlagFlaggedEverywhere(benchmark::State& state) {
  const int groups = static_cast<int>(state.range(0));
  std::unique_ptr<Registry> registry = FlaggedEverywhere(groups);
  int i = 0;
  for (auto _ : state) {
    absl::Status s = registry->Flag("admin", "spammer",
                                    absl::StrCat("group", i++ % groups), "link spam");
    if (!s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Registry_FlagFlaggedEverywhere)->Arg(1)->Arg(100)->Arg(5000);

// CheckPosting of "spammer" in each of `registry`'s `groups` groups in turn.
void CheckInEveryGroup(benchmark::State& state, const Registry& registry, int groups) {
  std::vector<std::string> names;
  for (int g = 0; g < groups; ++g) names.push_back(absl::StrCat("group", g));
  int i = 0;
  for (auto _ : state) {
    auto check = registry.CheckPosting("spammer", names[i++ % groups]);
    if (!check.ok() || !check->probation) {
      state.SkipWithError("the member should be held");
      break;
    }
    benchmark::DoNotOptimize(check);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Registry_CheckFlaggedEverywhere(benchmark::State& state) {
  const int groups = static_cast<int>(state.range(0));
  CheckInEveryGroup(state, *FlaggedEverywhere(groups), groups);
}
BENCHMARK(BM_Registry_CheckFlaggedEverywhere)->Arg(1)->Arg(100)->Arg(5000);

// The same with sitewide_after_distinct_groups = 2, which counts people
// (DistinctFlaggersReach): flagged by each group's own moderator (site-wide), or by
// the administrator alone (held in each flagging group, not site-wide).
void BM_Registry_CheckFlaggedEverywhereSiteWideAfter2(benchmark::State& state) {
  const int groups = static_cast<int>(state.range(0));
  const bool own_moderators = state.range(1) != 0;
  CheckInEveryGroup(state, *FlaggedEverywhere(groups, 2, own_moderators), groups);
}
BENCHMARK(BM_Registry_CheckFlaggedEverywhereSiteWideAfter2)
    ->ArgsProduct({{2, 100, 5000}, {0, 1}});

struct HoldFixture {
  std::string dir;
  std::unique_ptr<Registry> registry;
};
HoldFixture* hold_fixture = nullptr;

void BM_Registry_HoldGroupCommit(benchmark::State& state) {
  if (state.thread_index() == 0) {
    hold_fixture = new HoldFixture;
    hold_fixture->dir = (std::filesystem::temp_directory_path() /
                         absl::StrCat("groupguard_hold_bench_", getpid()))
                            .string();
    std::filesystem::remove_all(hold_fixture->dir);
    JournalOptions jo;
    jo.sync = JournalOptions::Sync::kGroupCommit;
    auto store = OpenJournal(hold_fixture->dir, jo);
    if (!store.ok()) {
      state.SkipWithError(std::string(store.status().message()).c_str());
      return;
    }
    auto registry = Registry::Open(*std::move(store), RealClock(), RegistryOptions());
    if (!registry.ok() || !(*registry)->CreateGroup("group").ok() ||
        !(*registry)->Join("member", "group").ok()) {
      state.SkipWithError("could not set up the registry");
      return;
    }
    hold_fixture->registry = *std::move(registry);
  }
  const std::string prefix = absl::StrCat("t", state.thread_index(), "-");
  const std::vector<HoldReason> reasons(1);
  int64_t i = 0;
  for (auto _ : state) {
    Submission post{absl::StrCat(prefix, i++), "member", "group", "hello there",
                    absl::FromUnixSeconds(1'700'000'000)};
    auto held = hold_fixture->registry->Hold(post, reasons);
    if (!held.ok()) {
      state.SkipWithError(std::string(held.status().message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    hold_fixture->registry.reset();
    std::error_code ignored;
    std::filesystem::remove_all(hold_fixture->dir, ignored);
    delete hold_fixture;
    hold_fixture = nullptr;
  }
}
BENCHMARK(BM_Registry_HoldGroupCommit)->ThreadRange(1, 16)->UseRealTime();

BENCHMARK(BM_Registry_MillionMembers)
    ->Arg(1'000'000)
    ->Iterations(1)
    ->Unit(benchmark::kSecond)
    ->UseRealTime();

}  // namespace
}  // namespace groupguard

BENCHMARK_MAIN();

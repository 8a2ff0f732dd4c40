// Preloaded (LD_PRELOAD) into the groupguard command by groupguard_cli_test: a
// machine of 1024 hardware threads, as std::thread::hardware_concurrency() sees it
// (libstdc++ asks glibc's get_nprocs()).
extern "C" int get_nprocs(void) { return 1024; }

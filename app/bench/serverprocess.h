#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace halhub::bench {

// CPU time and resident memory of a process, read from /proc.
struct ProcessSample
{
    bool ok = false;
    double cpuSeconds = 0;      // user + system
    int64_t rssKb = 0;
};

ProcessSample sampleProcess(pid_t pid);

// A halhub started by the bench (--spawn): a generated config in a private
// temporary directory, stdout and stderr to a log file there.
class ServerProcess
{
public:
    ServerProcess() = default;
    ~ServerProcess();
    ServerProcess(const ServerProcess &) = delete;
    ServerProcess &operator=(const ServerProcess &) = delete;

    // Writes configJson (with the port filled in) and starts `binary`,
    // pinned to `cpus` (a list such as "0" or "0-1"; empty: anywhere).
    // Returns false with *error when it cannot run or does not listen
    // within a few seconds.
    bool start(const std::string &binary, const std::string &configJson, uint16_t port,
               const std::string &cpus, std::string *error);
    // SIGTERM, then SIGKILL if it does not exit within 5 s.
    void stop();

    pid_t pid() const { return m_pid; }
    std::string logFile() const { return m_dir + "/halhub.log"; }

    // A port the OS has just handed out and released.
    static uint16_t freePort();

private:
    std::string m_dir;
    pid_t m_pid = -1;
    bool m_failed = false;
};

// A redis-server for --cross-node, on a unix socket in a private temporary
// directory, persisting nothing; never the machine's own Redis.
class RedisProcess
{
public:
    RedisProcess() = default;
    ~RedisProcess();
    RedisProcess(const RedisProcess &) = delete;
    RedisProcess &operator=(const RedisProcess &) = delete;

    // Starts `binary` and waits until its socket takes connections.
    bool start(const std::string &binary, std::string *error);
    void stop();
    std::string url() const { return "unix://" + socketPath(); }

private:
    std::string socketPath() const { return m_dir + "/redis.sock"; }

    std::string m_dir;
    pid_t m_pid = -1;
};

} // namespace halhub::bench

#include "serverprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

namespace halhub::bench {

namespace {

bool canConnect(uint16_t port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

} // namespace

ProcessSample sampleProcess(pid_t pid)
{
    ProcessSample sample;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line))
        return sample;
    // The command name may hold spaces and parentheses: fields count from
    // the last ')'. utime and stime are fields 14 and 15 of the whole line.
    const size_t close = line.rfind(')');
    if (close == std::string::npos)
        return sample;
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14)
            utime = std::strtoull(field.c_str(), nullptr, 10);
        if (i == 15)
            stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    sample.cpuSeconds = double(utime + stime) / double(sysconf(_SC_CLK_TCK));

    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    while (std::getline(status, line)) {
        if (line.compare(0, 6, "VmRSS:") == 0) {
            sample.rssKb = std::strtoll(line.c_str() + 6, nullptr, 10);
            break;
        }
    }
    sample.ok = true;
    return sample;
}

ServerProcess::~ServerProcess()
{
    stop();
    if (!m_dir.empty()) {
        std::remove((m_dir + "/halhub.json").c_str());
        // The log stays when the server failed, for the user to read.
        if (!m_failed) {
            std::remove(logFile().c_str());
            ::rmdir(m_dir.c_str());
        }
    }
}

uint16_t ServerProcess::freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0
            && ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    ::close(fd);
    return port;
}

namespace {

enum class Startup { Ready, Exited, TimedOut };

// Polls until ready() (the child listens), the child exits (*pid becomes
// -1), or 10 s pass.
Startup waitForStartup(pid_t *pid, const std::function<bool()> &ready)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(*pid, &status, WNOHANG) == *pid) {
            *pid = -1;
            return Startup::Exited;
        }
        if (ready())
            return Startup::Ready;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return Startup::TimedOut;
}

} // namespace

bool ServerProcess::start(const std::string &binary, const std::string &configJson,
                          uint16_t port, const std::string &cpus, std::string *error)
{
    cpu_set_t cpuSet;
    CPU_ZERO(&cpuSet);
    if (!cpus.empty()) {
        // "0", "0-1", "0,1": the forms taskset takes.
        std::istringstream list(cpus);
        std::string item;
        while (std::getline(list, item, ',')) {
            const size_t dash = item.find('-');
            const int first = std::atoi(item.c_str());
            const int last = dash == std::string::npos ? first : std::atoi(item.c_str() + dash + 1);
            for (int cpu = first; cpu <= last && cpu < CPU_SETSIZE; ++cpu)
                CPU_SET(cpu, &cpuSet);
        }
    }

    char pattern[] = "/tmp/halhub-bench-XXXXXX";
    if (!mkdtemp(pattern)) {
        *error = std::string("cannot make a temporary directory: ") + std::strerror(errno);
        return false;
    }
    m_dir = pattern;
    const std::string config = m_dir + "/halhub.json";
    std::ofstream(config) << configJson;

    const pid_t pid = fork();
    if (pid < 0) {
        *error = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    if (pid == 0) {
        const int log = ::open(logFile().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (log >= 0) {
            dup2(log, STDOUT_FILENO);
            dup2(log, STDERR_FILENO);
        }
        if (CPU_COUNT(&cpuSet) > 0)
            sched_setaffinity(0, sizeof cpuSet, &cpuSet);
        execl(binary.c_str(), binary.c_str(), "--headless", "--config", config.c_str(),
              static_cast<char *>(nullptr));
        std::fprintf(stderr, "cannot run %s: %s\n", binary.c_str(), std::strerror(errno));
        _exit(127);
    }
    m_pid = pid;

    switch (waitForStartup(&m_pid, [port] { return canConnect(port); })) {
    case Startup::Ready:
        return true;
    case Startup::Exited:
        *error = "halhub exited at start-up; see " + logFile();
        break;
    case Startup::TimedOut:
        *error = "halhub did not listen within 10 s; see " + logFile();
        break;
    }
    m_failed = true;
    return false;
}

namespace {

// SIGTERM, then SIGKILL if the child has not exited within 5 s.
void stopChild(pid_t *pid)
{
    if (*pid < 0)
        return;
    ::kill(*pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (waitpid(*pid, &status, WNOHANG) != *pid) {
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(*pid, SIGKILL);
            waitpid(*pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    *pid = -1;
}

bool canConnectUnix(const std::string &path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

} // namespace

void ServerProcess::stop()
{
    stopChild(&m_pid);
}

RedisProcess::~RedisProcess()
{
    stop();
    if (!m_dir.empty()) {
        std::remove(socketPath().c_str());
        ::rmdir(m_dir.c_str());
    }
}

bool RedisProcess::start(const std::string &binary, std::string *error)
{
    char pattern[] = "/tmp/halhub-bench-redis-XXXXXX";
    if (!mkdtemp(pattern)) {
        *error = std::string("cannot make a temporary directory: ") + std::strerror(errno);
        return false;
    }
    m_dir = pattern;
    const std::string socket = socketPath();
    const pid_t pid = fork();
    if (pid < 0) {
        *error = std::string("fork: ") + std::strerror(errno);
        return false;
    }
    if (pid == 0) {
        const int devnull = ::open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, STDOUT_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        execlp(binary.c_str(), binary.c_str(), "--port", "0", "--unixsocket", socket.c_str(),
              "--save", "", "--appendonly", "no", static_cast<char *>(nullptr));
        _exit(127);
    }
    m_pid = pid;
    switch (waitForStartup(&m_pid, [socket] { return canConnectUnix(socket); })) {
    case Startup::Ready:
        return true;
    case Startup::Exited:
        *error = "cannot run " + binary + " (is redis-server installed?)";
        break;
    case Startup::TimedOut:
        *error = "redis-server did not listen within 10 s";
        break;
    }
    return false;
}

void RedisProcess::stop()
{
    stopChild(&m_pid);
}

} // namespace halhub::bench

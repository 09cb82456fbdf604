#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace halhub::bench {

// What the load generator does: how many connections, what they subscribe to.
struct LoadPlan
{
    std::string host = "127.0.0.1";
    uint16_t port = 8001;
    std::string path = "/ws/hardware";
    int clients = 1;                // connections that subscribe
    int streamsPerClient = 1;
    int devices = 1;                // stream k goes to device (k mod devices)
    std::string devicePrefix = "sim";
    double rateHz = 100;
    std::string mode = "full";
    bool msgpack = false;
    bool compression = false;
    int idle = 0;                   // extra connections that only answer pings
    int threads = 1;
    int maxConnecting = 64;         // handshakes in flight at once (all threads)
    // Speak the Foxglove protocol (docs/protocol.md section 14): subscribe
    // to the advertised channels; every device sample is a frame.
    bool foxglove = false;
    // wss://: TLS (OpenSSL) under every connection; the server's
    // certificate is not checked (the bench's own, self-signed).
    bool tls = false;
};

// Figures of the measurement window, summed over the worker threads.
struct LoadResult
{
    std::vector<int32_t> latenciesUs;   // one per frame received in the window
    uint64_t frames = 0;
    uint64_t dropped = 0;               // seq numbers skipped
    uint64_t errors = 0;                // `error` messages
    uint64_t disconnects = 0;
    std::string firstError;
};

// Many WebSocket clients on raw non-blocking sockets, a few threads each with
// its own epoll set. QWebSocket would cost an object, a few signals and a
// QString per message; at 100,000 messages a second that is the difference
// between measuring the server and measuring the bench.
class LoadClient
{
public:
    explicit LoadClient(const LoadPlan &plan);
    ~LoadClient();
    LoadClient(const LoadClient &) = delete;
    LoadClient &operator=(const LoadClient &) = delete;

    // Starts the threads; they connect and subscribe at once.
    void start();
    // Joins the threads; results() is complete afterwards.
    void stop();

    int opened() const;            // handshakes completed
    int failed() const;            // connections refused, reset or closed
    int streamsSubscribed() const; // `subscribed` replies received

    // Frames received in [startUs, endUs) (wall clock) are measured.
    void setWindow(int64_t startUs, int64_t endUs);

    LoadResult results() const;

    static int64_t wallClockUs();

private:
    class Worker;
    LoadPlan m_plan;
    std::vector<std::unique_ptr<Worker>> m_workers;
    std::vector<std::thread> m_threads;
    std::atomic<bool> m_stop{false};
    std::atomic<int64_t> m_windowStartUs;
    std::atomic<int64_t> m_windowEndUs;
};

} // namespace halhub::bench

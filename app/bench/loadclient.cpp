#include "loadclient.h"

#include "messagescan.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <random>

namespace halhub::bench {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr uint8_t kOpContinuation = 0x0;
constexpr uint8_t kOpText = 0x1;
constexpr uint8_t kOpBinary = 0x2;
constexpr uint8_t kOpClose = 0x8;
constexpr uint8_t kOpPing = 0x9;

std::string jsonString(const std::string &s)
{
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

std::string formatRate(double hz)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", hz);
    return buf;
}

// zlib stream (RFC 1950) to bytes; the compressed forms are rare (only
// messages over 1 KiB), so simplicity wins over speed here.
bool inflateAll(const char *data, size_t size, std::string *out)
{
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK)
        return false;
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data));
    zs.avail_in = uInt(size);
    out->clear();
    int rc = Z_OK;
    char buf[16384];
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef *>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out->append(buf, sizeof buf - zs.avail_out);
    }
    inflateEnd(&zs);
    return rc == Z_STREAM_END;
}

} // namespace

int64_t LoadClient::wallClockUs()
{
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

class LoadClient::Worker
{
public:
    Worker(const LoadPlan &plan, LoadClient *owner, int maxConnecting)
        : m_plan(plan)
        , m_owner(owner)
        , m_maxConnecting(maxConnecting)
        , m_random(std::random_device{}())
    {
        m_epoll = epoll_create1(EPOLL_CLOEXEC);
        m_readBuffer.resize(kReadChunk);
        if (m_plan.tls) {
            m_tls = SSL_CTX_new(TLS_client_method());
            SSL_CTX_set_verify(m_tls, SSL_VERIFY_NONE, nullptr);
            // Writes from c.out, which moves and may be taken in part.
            SSL_CTX_set_mode(m_tls, SSL_MODE_ENABLE_PARTIAL_WRITE
                                            | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        }
    }

    ~Worker()
    {
        for (Connection &c : m_connections) {
            if (c.ssl)
                SSL_free(c.ssl);
            if (c.fd >= 0)
                ::close(c.fd);
        }
        if (m_tls)
            SSL_CTX_free(m_tls);
        if (m_epoll >= 0)
            ::close(m_epoll);
    }

    // globalIndex < plan.clients: a subscribing client; beyond: idle.
    void addConnection(int globalIndex)
    {
        Connection c;
        c.active = globalIndex < m_plan.clients;
        c.firstStream = globalIndex * m_plan.streamsPerClient;
        m_connections.push_back(std::move(c));
    }

    void run()
    {
        epoll_event events[256];
        while (!m_owner->m_stop.load(std::memory_order_relaxed)) {
            startConnections();
            const int n = epoll_wait(m_epoll, events, 256, 20);
            for (int i = 0; i < n; ++i) {
                Connection &c = m_connections[events[i].data.u32];
                if (events[i].events & (EPOLLOUT))
                    onWritable(c);
                if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                    onReadable(c);
            }
        }
    }

    std::atomic<int> opened{0};
    std::atomic<int> failed{0};
    std::atomic<int> subscribed{0};
    LoadResult result;

private:
    enum class State { NotStarted, Connecting, TlsHandshake, Handshake, Open, Closed };

    struct StreamSlot
    {
        std::string id;
        uint64_t lastSeq = 0;
    };

    struct Connection
    {
        int fd = -1;
        SSL *ssl = nullptr;             // with plan.tls, once connected
        State state = State::NotStarted;
        bool active = false;
        bool wantWrite = false;
        int firstStream = 0;
        std::string in;
        std::string out;
        std::string fragments;          // a message split over frames
        uint8_t fragmentOpcode = 0;
        std::vector<StreamSlot> streams;
    };

    uint32_t indexOf(const Connection &c) const { return uint32_t(&c - m_connections.data()); }

    void startConnections()
    {
        while (m_connecting < m_maxConnecting && m_next < m_connections.size()) {
            Connection &c = m_connections[m_next++];
            c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (c.fd < 0) {
                fail(c, std::string("socket: ") + std::strerror(errno));
                continue;
            }
            const int one = 1;
            setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_port = htons(m_plan.port);
            inet_pton(AF_INET, m_plan.host.c_str(), &addr.sin_addr);
            const int rc = ::connect(c.fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
            if (rc < 0 && errno != EINPROGRESS) {
                fail(c, std::string("connect: ") + std::strerror(errno));
                continue;
            }
            c.state = State::Connecting;
            ++m_connecting;
            epoll_event ev{};
            ev.events = EPOLLIN | EPOLLOUT;
            ev.data.u32 = indexOf(c);
            epoll_ctl(m_epoll, EPOLL_CTL_ADD, c.fd, &ev);
            c.wantWrite = true;
        }
    }

    void fail(Connection &c, const std::string &why)
    {
        if (c.state == State::Connecting || c.state == State::TlsHandshake
                || c.state == State::Handshake)
            --m_connecting;
        if (c.state == State::Open)
            ++result.disconnects;
        if (c.ssl) {
            SSL_free(c.ssl);
            c.ssl = nullptr;
        }
        if (c.fd >= 0) {
            epoll_ctl(m_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
            ::close(c.fd);
        }
        c.fd = -1;
        c.state = State::Closed;
        failed.fetch_add(1, std::memory_order_relaxed);
        if (result.firstError.empty())
            result.firstError = why;
    }

    void setWantWrite(Connection &c, bool want)
    {
        if (c.wantWrite == want)
            return;
        c.wantWrite = want;
        epoll_event ev{};
        ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
        ev.data.u32 = indexOf(c);
        epoll_ctl(m_epoll, EPOLL_CTL_MOD, c.fd, &ev);
    }

    void onWritable(Connection &c)
    {
        if (c.state == State::Connecting) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                fail(c, std::string("connect: ") + std::strerror(err));
                return;
            }
            if (m_tls) {
                c.ssl = SSL_new(m_tls);
                SSL_set_fd(c.ssl, c.fd);
                SSL_set_connect_state(c.ssl);
                c.state = State::TlsHandshake;
            } else {
                startUpgrade(c);
            }
        }
        if (c.state == State::TlsHandshake) {
            continueTlsHandshake(c);
            return;
        }
        flush(c);
    }

    void continueTlsHandshake(Connection &c)
    {
        const int rc = SSL_do_handshake(c.ssl);
        if (rc == 1) {
            startUpgrade(c);
            flush(c);
            return;
        }
        switch (SSL_get_error(c.ssl, rc)) {
        case SSL_ERROR_WANT_READ:
            setWantWrite(c, false);
            return;
        case SSL_ERROR_WANT_WRITE:
            setWantWrite(c, true);
            return;
        default:
            fail(c, "TLS handshake failed: " + tlsError());
            return;
        }
    }

    static std::string tlsError()
    {
        char text[256] = "connection closed";
        if (const unsigned long e = ERR_get_error())
            ERR_error_string_n(e, text, sizeof text);
        return text;
    }

    void startUpgrade(Connection &c)
    {
        c.state = State::Handshake;
        c.out += "GET " + m_plan.path + " HTTP/1.1\r\nHost: " + m_plan.host + ":"
                + std::to_string(m_plan.port)
                + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n"
                + std::string(m_plan.foxglove ? "Sec-WebSocket-Protocol: foxglove.websocket.v1\r\n"
                                              : "")
                + "\r\n";
    }

    void flush(Connection &c)
    {
        if (c.ssl) {
            flushTls(c);
            return;
        }
        while (!c.out.empty()) {
            const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break;
                fail(c, std::string("send: ") + std::strerror(errno));
                return;
            }
            c.out.erase(0, size_t(n));
        }
        setWantWrite(c, !c.out.empty());
    }

    void flushTls(Connection &c)
    {
        while (!c.out.empty()) {
            const int n = SSL_write(c.ssl, c.out.data(), int(std::min<size_t>(c.out.size(), INT_MAX)));
            if (n <= 0) {
                const int e = SSL_get_error(c.ssl, n);
                if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
                    break;
                fail(c, "TLS write: " + tlsError());
                return;
            }
            c.out.erase(0, size_t(n));
        }
        setWantWrite(c, !c.out.empty());
    }

    // What the connection has for us into c.in: false if it ended (then c
    // is closed) or nothing came.
    bool receive(Connection &c)
    {
        if (!c.ssl) {
            const ssize_t n = ::recv(c.fd, m_readBuffer.data(), m_readBuffer.size(), 0);
            if (n == 0) {
                fail(c, "closed by the server");
                return false;
            }
            if (n < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    fail(c, std::string("recv: ") + std::strerror(errno));
                return false;
            }
            c.in.append(m_readBuffer.data(), size_t(n));
            return true;
        }
        // Everything decrypted, also what OpenSSL holds beyond what epoll
        // can tell.
        bool got = false;
        for (;;) {
            const int n = SSL_read(c.ssl, m_readBuffer.data(), int(m_readBuffer.size()));
            if (n > 0) {
                c.in.append(m_readBuffer.data(), size_t(n));
                got = true;
                continue;
            }
            const int e = SSL_get_error(c.ssl, n);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                return got;
            fail(c, e == SSL_ERROR_ZERO_RETURN ? std::string("closed by the server")
                                               : "TLS read: " + tlsError());
            return false;
        }
    }

    void sendFrame(Connection &c, uint8_t opcode, const std::string &payload)
    {
        // Client frames are masked (RFC 6455 5.3).
        std::string frame;
        frame.reserve(payload.size() + 14);
        frame += char(0x80 | opcode);
        const size_t n = payload.size();
        if (n < 126) {
            frame += char(0x80 | n);
        } else if (n < 65536) {
            frame += char(0x80 | 126);
            frame += char(n >> 8);
            frame += char(n & 0xff);
        } else {
            frame += char(0x80 | 127);
            for (int i = 7; i >= 0; --i)
                frame += char((uint64_t(n) >> (8 * i)) & 0xff);
        }
        const uint32_t maskWord = uint32_t(m_random());
        char mask[4];
        std::memcpy(mask, &maskWord, 4);
        frame.append(mask, 4);
        for (size_t i = 0; i < n; ++i)
            frame += char(payload[i] ^ mask[i & 3]);
        c.out += frame;
    }

    void subscribeAll(Connection &c)
    {
        if (m_plan.msgpack || m_plan.compression) {
            sendFrame(c, kOpText,
                      std::string("{\"type\":\"hello\",\"encoding\":\"")
                          + (m_plan.msgpack ? "msgpack" : "json") + "\",\"compression\":"
                          + (m_plan.compression ? "true" : "false") + "}");
        }
        for (int k = 0; k < m_plan.streamsPerClient; ++k) {
            const int stream = c.firstStream + k;
            const std::string device =
                    m_plan.devicePrefix + std::to_string(stream % std::max(1, m_plan.devices));
            sendFrame(c, kOpText,
                      "{\"type\":\"subscribe\",\"id\":" + std::to_string(k + 1)
                          + ",\"device\":" + jsonString(device)
                          + ",\"mode\":" + jsonString(m_plan.mode)
                          + ",\"rate_hz\":" + formatRate(m_plan.rateHz) + "}");
        }
    }

    void onReadable(Connection &c)
    {
        if (c.fd < 0)
            return;
        if (c.state == State::TlsHandshake) {
            continueTlsHandshake(c);
            return;
        }
        if (!receive(c))
            return;
        // One receive time for everything this read returned: it all was
        // in the socket by now.
        const int64_t nowUs = wallClockUs();

        if (c.state == State::Handshake) {
            const size_t end = c.in.find("\r\n\r\n");
            if (end == std::string::npos)
                return;
            if (c.in.compare(0, 12, "HTTP/1.1 101") != 0) {
                fail(c, "handshake refused: " + c.in.substr(0, c.in.find("\r\n")));
                return;
            }
            c.in.erase(0, end + 4);
            c.state = State::Open;
            --m_connecting;
            opened.fetch_add(1, std::memory_order_relaxed);
            if (c.active && !m_plan.foxglove) {
                subscribeAll(c);
                flush(c);
                if (c.fd < 0)
                    return;
            }
        }
        if (c.state == State::Open)
            readFrames(c, nowUs);
    }

    void readFrames(Connection &c, int64_t nowUs)
    {
        size_t pos = 0;
        const size_t size = c.in.size();
        const auto *p = reinterpret_cast<const uint8_t *>(c.in.data());
        while (size - pos >= 2) {
            const bool fin = p[pos] & 0x80;
            const uint8_t opcode = p[pos] & 0x0f;
            uint64_t len = p[pos + 1] & 0x7f;
            size_t header = 2;
            if (len == 126) {
                if (size - pos < 4)
                    break;
                len = (uint64_t(p[pos + 2]) << 8) | p[pos + 3];
                header = 4;
            } else if (len == 127) {
                if (size - pos < 10)
                    break;
                len = 0;
                for (int i = 0; i < 8; ++i)
                    len = (len << 8) | p[pos + 2 + i];
                header = 10;
            }
            if (size - pos - header < len)
                break;
            const char *payload = c.in.data() + pos + header;
            pos += header + len;

            if (opcode == kOpPing) {
                sendFrame(c, 0xA, std::string(payload, len));
                flush(c);
                if (c.fd < 0)
                    return;
            } else if (opcode == kOpClose) {
                fail(c, "close frame from the server");
                return;
            } else if (opcode == kOpText || opcode == kOpBinary || opcode == kOpContinuation) {
                if (!fin || opcode == kOpContinuation) {
                    if (opcode != kOpContinuation)
                        c.fragmentOpcode = opcode;
                    c.fragments.append(payload, len);
                    if (fin) {
                        const std::string whole = std::move(c.fragments);
                        c.fragments.clear();
                        onMessage(c, c.fragmentOpcode, whole.data(), whole.size(), nowUs);
                    }
                } else {
                    onMessage(c, opcode, payload, len, nowUs);
                }
            }
        }
        c.in.erase(0, pos);
    }

    // Foxglove: subscribes once the channels are advertised; Message Data
    // frames carry the sample time (ns) after the subscription id.
    void onFoxgloveMessage(Connection &c, uint8_t opcode, const char *data, size_t size,
                           int64_t nowUs)
    {
        if (opcode == kOpBinary) {
            if (size < 13 || data[0] != 0x01)
                return;
            uint64_t ns = 0;
            for (int i = 7; i >= 0; --i)
                ns = (ns << 8) | uint8_t(data[5 + i]);
            if (nowUs >= m_owner->m_windowStartUs.load(std::memory_order_relaxed)
                    && nowUs < m_owner->m_windowEndUs.load(std::memory_order_relaxed)) {
                ++result.frames;
                result.latenciesUs.push_back(int32_t(std::clamp<int64_t>(
                        nowUs - int64_t(ns / 1000), INT32_MIN, INT32_MAX)));
            }
            return;
        }
        const std::string text(data, size);
        if (text.find("\"op\":\"advertise\"") != std::string::npos && c.active && c.streams.empty()) {
            subscribeFoxglove(c, text);
        } else if (text.find("\"op\":\"status\"") != std::string::npos) {
            // "slow connection: N messages dropped, oldest first"
            const size_t at = text.find("slow connection: ");
            if (at != std::string::npos)
                result.dropped += std::strtoull(text.c_str() + at + 17, nullptr, 10);
        }
    }

    void subscribeFoxglove(Connection &c, const std::string &advertise)
    {
        // Channel objects as halhub writes them: "id":N comes before "topic":"/ID".
        std::vector<std::pair<std::string, std::string>> channels;  // topic, id
        size_t pos = 0;
        while ((pos = advertise.find("\"id\":", pos)) != std::string::npos) {
            pos += 5;
            const std::string id = advertise.substr(pos, advertise.find_first_not_of("0123456789", pos) - pos);
            const size_t topic = advertise.find("\"topic\":\"", pos);
            if (topic == std::string::npos)
                break;
            const size_t start = topic + 9;
            channels.emplace_back(advertise.substr(start, advertise.find('"', start) - start), id);
        }
        std::string subscriptions;
        for (int k = 0; k < m_plan.streamsPerClient; ++k) {
            const int stream = c.firstStream + k;
            const std::string topic = "/" + m_plan.devicePrefix
                    + std::to_string(stream % std::max(1, m_plan.devices));
            for (const auto &[t, id] : channels) {
                if (t != topic)
                    continue;
                if (!subscriptions.empty())
                    subscriptions += ',';
                subscriptions += "{\"id\":" + std::to_string(k) + ",\"channelId\":" + id + "}";
                c.streams.push_back({std::to_string(k), 0});
                subscribed.fetch_add(1, std::memory_order_relaxed);
            }
        }
        sendFrame(c, kOpText, "{\"op\":\"subscribe\",\"subscriptions\":[" + subscriptions + "]}");
        flush(c);
    }

    void onMessage(Connection &c, uint8_t opcode, const char *data, size_t size, int64_t nowUs)
    {
        if (m_plan.foxglove) {
            onFoxgloveMessage(c, opcode, data, size, nowUs);
            return;
        }
        MessageFields f;
        bool ok = false;
        if (opcode == kOpText) {
            ok = scanJson(data, size, &f);
        } else if (size > 0) {
            const char form = data[0];
            if (form == 0x00) {
                ok = scanMsgPack(data + 1, size - 1, &f);
            } else if (inflateAll(data + 1, size - 1, &m_inflated)) {
                ok = form == 0x01 ? scanMsgPack(m_inflated.data(), m_inflated.size(), &f)
                                  : scanJson(m_inflated.data(), m_inflated.size(), &f);
            }
        }
        if (!ok) {
            ++result.errors;
            if (result.firstError.empty())
                result.firstError = "unreadable message";
            return;
        }
        if (f.type == "telemetry") {
            onTelemetry(c, f, nowUs);
        } else if (f.type == "subscribed") {
            c.streams.push_back({std::string(f.stream), 0});
            subscribed.fetch_add(1, std::memory_order_relaxed);
        } else if (f.type == "error") {
            ++result.errors;
            if (result.firstError.empty())
                result.firstError = "error from the server: " + std::string(f.code);
        }
    }

    void onTelemetry(Connection &c, const MessageFields &f, int64_t nowUs)
    {
        StreamSlot *slot = nullptr;
        for (StreamSlot &s : c.streams) {
            if (s.id == f.stream) {
                slot = &s;
                break;
            }
        }
        if (!slot)
            return;
        const bool inWindow = nowUs >= m_owner->m_windowStartUs.load(std::memory_order_relaxed)
                && nowUs < m_owner->m_windowEndUs.load(std::memory_order_relaxed);
        if (inWindow) {
            ++result.frames;
            if (slot->lastSeq != 0 && f.seq > slot->lastSeq + 1)
                result.dropped += f.seq - slot->lastSeq - 1;
            const int64_t latency = nowUs - f.ts;
            result.latenciesUs.push_back(
                    int32_t(std::clamp<int64_t>(latency, INT32_MIN, INT32_MAX)));
        }
        slot->lastSeq = f.seq;
    }

    const LoadPlan &m_plan;
    LoadClient *m_owner;
    int m_maxConnecting;
    SSL_CTX *m_tls = nullptr;       // with plan.tls
    int m_epoll = -1;
    int m_connecting = 0;
    size_t m_next = 0;
    std::vector<Connection> m_connections;
    std::vector<char> m_readBuffer;
    std::string m_inflated;
    std::mt19937 m_random;
};

LoadClient::LoadClient(const LoadPlan &plan)
    : m_plan(plan)
    , m_windowStartUs(INT64_MAX)
    , m_windowEndUs(INT64_MAX)
{
    const int threads = std::max(1, plan.threads);
    for (int t = 0; t < threads; ++t)
        m_workers.push_back(
                std::make_unique<Worker>(m_plan, this, std::max(1, plan.maxConnecting / threads)));
    const int total = plan.clients + plan.idle;
    for (int i = 0; i < total; ++i)
        m_workers[size_t(i % threads)]->addConnection(i);
}

LoadClient::~LoadClient()
{
    stop();
}

void LoadClient::start()
{
    for (auto &worker : m_workers)
        m_threads.emplace_back([w = worker.get()] { w->run(); });
}

void LoadClient::stop()
{
    m_stop = true;
    for (std::thread &t : m_threads)
        t.join();
    m_threads.clear();
}

int LoadClient::opened() const
{
    int n = 0;
    for (const auto &w : m_workers)
        n += w->opened.load();
    return n;
}

int LoadClient::failed() const
{
    int n = 0;
    for (const auto &w : m_workers)
        n += w->failed.load();
    return n;
}

int LoadClient::streamsSubscribed() const
{
    int n = 0;
    for (const auto &w : m_workers)
        n += w->subscribed.load();
    return n;
}

void LoadClient::setWindow(int64_t startUs, int64_t endUs)
{
    m_windowEndUs = endUs;
    m_windowStartUs = startUs;
}

LoadResult LoadClient::results() const
{
    LoadResult all;
    for (const auto &w : m_workers) {
        const LoadResult &r = w->result;
        all.latenciesUs.insert(all.latenciesUs.end(), r.latenciesUs.begin(), r.latenciesUs.end());
        all.frames += r.frames;
        all.dropped += r.dropped;
        all.errors += r.errors;
        all.disconnects += r.disconnects;
        if (all.firstError.empty())
            all.firstError = r.firstError;
    }
    return all;
}

} // namespace halhub::bench

#pragma once

#include "protocol/framecodec.h"

#include <QMutex>
#include <QObject>
#include <QString>

#include <memory>
#include <vector>

class QThread;

namespace halhub {

class SocketChannel;

// One thread that serves the sockets of a share of the connections. The
// protocol logic runs on the main thread and queues what a socket should
// do (write a frame, ping, close, go away) here; the thread does it in
// order. Queuing is one locked append, and the thread is woken once per
// batch, not per frame: a sample fanned out to a thousand connections
// costs each I/O thread a wake-up or two (a large fan-out is handed over
// in parts, so that writing starts while the rest is queued). Frames that
// wait for one connection in a turn go out in one write. Requests come
// from one thread only (the one that made the IoThread).
//
// With `threaded` false the requests are done on the calling thread: at
// once while it serves at most kDirectChannels sockets, so a frame goes
// to the kernel straight from the thread that made it (the main thread's
// share of the connections); with more (server.io_threads: 0 and many
// clients) they are queued and done, batched, when the caller's event is
// handled, because writing to many sockets in the middle of a fan-out
// wakes each reader in turn. A channel tells its connection things by
// posted events either way, so a write never calls back into the code
// that asked for it.
class IoThread
{
public:
    explicit IoThread(bool threaded, int index = 0);
    ~IoThread();
    IoThread(const IoThread &) = delete;
    IoThread &operator=(const IoThread &) = delete;

    // Moves the channel (created on the calling thread, without parent)
    // to this thread, which owns it from now on.
    void adopt(SocketChannel *channel);

    void writeFrame(SocketChannel *channel, const EncodedFrame &frame);
    void ping(SocketChannel *channel);
    void resumeReading(SocketChannel *channel);
    void close(SocketChannel *channel, int code, const QString &reason);
    // Deletes the channel after everything queued for it before.
    void release(SocketChannel *channel);
    // Channels adopted and not yet released.
    int channelCount() const { return m_channels; }
    static constexpr int kDirectChannels = 4;

private:
    struct Request
    {
        enum class Kind { Adopt, Frame, Ping, Resume, Close, Release };
        SocketChannel *channel = nullptr;
        Kind kind = Kind::Frame;
        EncodedFrame frame;
        int code = 0;
        QString reason;
    };
    class Worker;

    void post(Request &&request);
    void wake();
    void serve();
    void run(Request &request);
    void writeBatch(SocketChannel *channel);

    // Queued requests that make the thread start at once, before the
    // poster's event is done.
    static constexpr size_t kHandOverRequests = 64;
    static constexpr size_t kKeptBatchCapacity = 16;

    QObject m_poster;               // in the posting (main) thread
    bool m_wakePending = false;     // the poster's own, as is:
    int m_channels = 0;

    QThread *m_thread = nullptr;
    Worker *m_worker = nullptr;     // lives in m_thread (or the main thread)
    QMutex m_mutex;
    std::vector<Request> m_queue;   // guarded by m_mutex
    bool m_scheduled = false;       // guarded by m_mutex
    std::vector<Request> m_serving; // the thread's own, as are these:
    std::vector<SocketChannel *> m_touched;   // channels with frames this turn
    std::vector<SocketChannel *> m_released;  // deleted at the end of the turn
};

// The I/O threads of a server, and the main thread's own share: the first
// IoThread::kDirectChannels connections are served by the main thread, the
// rest are dealt out to the I/O threads in turn.
class IoThreadPool
{
public:
    // count 0: every connection is served by the main thread.
    explicit IoThreadPool(int count);
    ~IoThreadPool();

    // Where a new connection goes.
    IoThread *next();
    int threadCount() const { return m_count; }
    // The default for server.io_threads: one thread per core beyond the
    // first (which the main thread and the devices keep); none on one core.
    static int defaultCount();

private:
    std::unique_ptr<IoThread> m_local;
    std::vector<std::unique_ptr<IoThread>> m_threads;
    int m_count = 0;
    size_t m_next = 0;
};

} // namespace halhub

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
// costs each I/O thread one wake-up. Requests come from one thread only
// (the one that made the IoThread).
//
// With `threaded` false the queue is served by the main thread's own event
// loop instead (server.io_threads: 0), the same code path without threads.
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

    QObject m_poster;               // in the posting (main) thread
    bool m_wakePending = false;     // the poster's own

    QThread *m_thread = nullptr;
    Worker *m_worker = nullptr;     // lives in m_thread (or the main thread)
    QMutex m_mutex;
    std::vector<Request> m_queue;   // guarded by m_mutex
    bool m_scheduled = false;       // guarded by m_mutex
    std::vector<Request> m_serving; // the thread's own
};

// The I/O threads of a server; connections are dealt out in turn.
class IoThreadPool
{
public:
    // count 0: one IoThread served by the main thread's event loop.
    explicit IoThreadPool(int count);
    ~IoThreadPool();

    IoThread *next();
    int threadCount() const { return m_count; }
    // The default for server.io_threads: one thread per core beyond the
    // first (which the main thread and the devices keep); none on one core.
    static int defaultCount();

private:
    std::vector<std::unique_ptr<IoThread>> m_threads;
    int m_count = 0;
    size_t m_next = 0;
};

} // namespace halhub

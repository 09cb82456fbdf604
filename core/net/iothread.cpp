#include "net/iothread.h"

#include "net/socketchannel.h"

#include <QMutexLocker>
#include <QThread>

#include <utility>

namespace halhub {

// The object in the I/O thread that queued calls land on.
class IoThread::Worker : public QObject
{
public:
    using QObject::QObject;
};

IoThread::IoThread(bool threaded, int index)
    : m_worker(new Worker)
{
    if (!threaded)
        return;
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("halhub-io-%1").arg(index));
    m_worker->moveToThread(m_thread);
    m_thread->start();
}

IoThread::~IoThread()
{
    // Channels still here belong to connections that are gone by now:
    // the worker deletes them (its children) in its own thread.
    // What is still queued is done first (a release not yet served, a
    // channel not yet adopted).
    if (m_thread) {
        QMetaObject::invokeMethod(
            m_worker, [this] {
                serve();
                qDeleteAll(m_worker->children());
            }, Qt::BlockingQueuedConnection);
        m_thread->quit();
        m_thread->wait();
        delete m_thread;
    } else {
        serve();
    }
    delete m_worker;
}

void IoThread::adopt(SocketChannel *channel)
{
    ++m_channels;
    if (m_thread)
        channel->moveToThread(m_thread);
    post({channel, Request::Kind::Adopt});
}

void IoThread::writeFrame(SocketChannel *channel, const EncodedFrame &frame)
{
    post({channel, Request::Kind::Frame, frame});
}

void IoThread::ping(SocketChannel *channel)
{
    post({channel, Request::Kind::Ping});
}

void IoThread::resumeReading(SocketChannel *channel)
{
    post({channel, Request::Kind::Resume});
}

void IoThread::close(SocketChannel *channel, int code, const QString &reason)
{
    post({channel, Request::Kind::Close, {}, code, reason});
}

void IoThread::release(SocketChannel *channel)
{
    --m_channels;
    post({channel, Request::Kind::Release});
}

void IoThread::post(Request &&request)
{
    bool handOverNow = false;
    {
        QMutexLocker lock(&m_mutex);
        if (!m_thread && m_queue.empty() && m_channels <= kDirectChannels) {
            // Served by the poster's own thread, for a handful of sockets:
            // done at once (after anything still queued from a busier time).
            lock.unlock();
            run(request);
            return;
        }
        m_queue.push_back(std::move(request));
        // A large fan-out is handed over in parts: the thread writes the
        // first frames while the rest are still being queued.
        if (!m_scheduled && m_queue.size() >= kHandOverRequests) {
            m_scheduled = true;
            handOverNow = true;
        }
    }
    if (handOverNow)
        QMetaObject::invokeMethod(m_worker, [this] { serve(); }, Qt::QueuedConnection);
    // The rest is handed over once the poster's current event is handled:
    // a sample's whole fan-out, not its first frame. Woken per frame, the
    // thread would serve a few frames per wake-up, and each turn of its
    // event loop polls every socket it has.
    if (m_wakePending)
        return;
    m_wakePending = true;
    QMetaObject::invokeMethod(&m_poster, [this] { wake(); }, Qt::QueuedConnection);
}

void IoThread::wake()
{
    m_wakePending = false;
    {
        QMutexLocker lock(&m_mutex);
        if (m_scheduled || m_queue.empty())
            return;
        m_scheduled = true;
    }
    QMetaObject::invokeMethod(m_worker, [this] { serve(); }, Qt::QueuedConnection);
}

void IoThread::serve()
{
    {
        QMutexLocker lock(&m_mutex);
        m_serving.swap(m_queue);
        m_scheduled = false;
    }
    // Frames are collected per channel and written at the end of the turn
    // (or before anything else the connection asked after them), so that a
    // connection with several frames waiting gets them in one write: when
    // the thread falls behind, catching up gets cheaper per frame instead
    // of costing a system call per frame.
    for (Request &r : m_serving) {
        if (r.kind == Request::Kind::Frame) {
            if (r.channel->m_batch.empty())
                m_touched.push_back(r.channel);
            r.channel->m_batch.push_back(&r.frame);
            continue;
        }
        writeBatch(r.channel);
        if (r.kind == Request::Kind::Release) {
            // Nothing is queued for it after this; it goes at the end of
            // the turn, when no list of this turn points to it any more.
            m_released.push_back(r.channel);
            continue;
        }
        run(r);
    }
    for (SocketChannel *channel : m_touched)
        writeBatch(channel);
    m_touched.clear();
    qDeleteAll(m_released);
    m_released.clear();
    m_serving.clear();
}

void IoThread::run(Request &r)
{
    switch (r.kind) {
    case Request::Kind::Adopt:
        // A child of the worker, so that a channel never released is
        // deleted with it, in this thread.
        r.channel->setParent(m_worker);
        r.channel->start();
        break;
    case Request::Kind::Frame:
        r.channel->writeFrame(r.frame);
        break;
    case Request::Kind::Ping:
        r.channel->ping();
        break;
    case Request::Kind::Resume:
        r.channel->resumeReading();
        break;
    case Request::Kind::Close:
        r.channel->close(r.code, r.reason);
        break;
    case Request::Kind::Release:
        delete r.channel;
        break;
    }
}

void IoThread::writeBatch(SocketChannel *channel)
{
    std::vector<const EncodedFrame *> &batch = channel->m_batch;
    if (batch.empty())
        return;
    if (batch.size() == 1)
        channel->writeFrame(*batch.front());
    else
        channel->writeFrames(batch.data(), batch.size());
    // A backlog's list is not kept for the connection's whole life.
    if (batch.capacity() > kKeptBatchCapacity)
        std::vector<const EncodedFrame *>().swap(batch);
    else
        batch.clear();
}

IoThreadPool::IoThreadPool(int count)
    : m_local(std::make_unique<IoThread>(false))
    , m_count(qMax(0, count))
{
    for (int i = 0; i < m_count; ++i)
        m_threads.push_back(std::make_unique<IoThread>(true, i));
}

IoThreadPool::~IoThreadPool() = default;

IoThread *IoThreadPool::next()
{
    // The first few connections are written to straight from the thread
    // that makes their frames: for a handful of clients a hop to another
    // thread costs more latency than it saves. Beyond that, the I/O
    // threads take the fan-out.
    if (m_threads.empty() || m_local->channelCount() < IoThread::kDirectChannels)
        return m_local.get();
    IoThread *thread = m_threads[m_next].get();
    m_next = (m_next + 1) % m_threads.size();
    return thread;
}

int IoThreadPool::defaultCount()
{
    // On a single core a second thread only adds switches between them.
    return qMax(0, QThread::idealThreadCount() - 1);
}

} // namespace halhub

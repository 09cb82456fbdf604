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
    if (m_thread) {
        QMetaObject::invokeMethod(
            m_worker, [this] { qDeleteAll(m_worker->children()); }, Qt::BlockingQueuedConnection);
        m_thread->quit();
        m_thread->wait();
        delete m_thread;
    }
    delete m_worker;
}

void IoThread::adopt(SocketChannel *channel)
{
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
    post({channel, Request::Kind::Release});
}

void IoThread::post(Request &&request)
{
    {
        QMutexLocker lock(&m_mutex);
        m_queue.push_back(std::move(request));
    }
    // The thread is woken once the poster's current event is handled: a
    // sample's whole fan-out, not its first frame. Woken per frame, it
    // would serve a few frames per wake-up, and each turn of its event
    // loop polls every socket it has.
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
    for (Request &r : m_serving) {
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
    m_serving.clear();
}

IoThreadPool::IoThreadPool(int count)
    : m_count(count)
{
    if (count <= 0) {
        m_threads.push_back(std::make_unique<IoThread>(false));
        return;
    }
    for (int i = 0; i < count; ++i)
        m_threads.push_back(std::make_unique<IoThread>(true, i));
}

IoThreadPool::~IoThreadPool() = default;

IoThread *IoThreadPool::next()
{
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

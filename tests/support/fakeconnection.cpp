#include "fakeconnection.h"

#include "protocol/envelope.h"
#include "protocol/framecodec.h"

#include <QHostAddress>

using namespace halhub;

FakeConnection::FakeConnection(quint64 id, QObject *parent)
    : Connection(id, QHostAddress(QHostAddress::LocalHost), quint16(40000 + id % 20000), parent)
{
}

void FakeConnection::receive(const QVariantMap &message)
{
    const Envelope envelope = readEnvelope(message);
    Q_ASSERT_X(envelope.ok, "FakeConnection::receive", "a message the connection would refuse");
    Q_EMIT messageReceived(message, envelope.type, envelope.id);
}

QList<QVariantMap> FakeConnection::sentOfType(const QString &type) const
{
    QList<QVariantMap> list;
    for (const QVariantMap &m : m_sent) {
        if (m.value(QStringLiteral("type")).toString() == type)
            list.append(m);
    }
    return list;
}

QVariantMap FakeConnection::last(const QString &type, const QVariant &id) const
{
    for (auto it = m_sent.crbegin(); it != m_sent.crend(); ++it) {
        if (it->value(QStringLiteral("type")).toString() == type
            && (!id.isValid() || it->value(QStringLiteral("id")) == id))
            return *it;
    }
    return {};
}

void FakeConnection::drain()
{
    m_telemetryAllowed = true;
    Q_EMIT drained();
}

void FakeConnection::sendMessage(const QVariantMap &message)
{
    if (m_closeCode == 0)
        m_sent.append(message);
}

void FakeConnection::sendEncoded(const EncodedFrame &frame)
{
    if (m_closeCode != 0)
        return;
    const DecodedFrame decoded = frame.binary ? framecodec::decodeBinary(frame.bytes, 1 << 24)
                                              : framecodec::decodeText(frame.bytes, 1 << 24);
    Q_ASSERT(decoded.status == DecodedFrame::Status::Ok);
    m_sent.append(decoded.message);
}

void FakeConnection::closeWith(int code, const QString &)
{
    if (m_closeCode != 0)
        return;
    m_closeCode = code;
    // As a socket does: the close completes after the caller returns.
    QMetaObject::invokeMethod(this, &Connection::closed, Qt::QueuedConnection);
}

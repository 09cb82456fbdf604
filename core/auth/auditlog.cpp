#include "auth/auditlog.h"

#include "auth/authlogging.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

namespace halhub {

AuditLog::AuditLog(QObject *parent)
    : QObject(parent)
{
}

AuditLog::~AuditLog() = default;

bool AuditLog::open(const QString &fileName, QString *error)
{
    m_file.setFileName(fileName);
    // Unbuffered: each line reaches the kernel with its write, so it outlives
    // a crash of the process.
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Unbuffered)) {
        *error = QStringLiteral("auth.audit_log: cannot open '%1' for appending: %2")
                     .arg(fileName, m_file.errorString());
        return false;
    }
    return true;
}

void AuditLog::record(QVariantMap entry)
{
    if (!entry.contains(QStringLiteral("time"))) {
        entry.insert(QStringLiteral("time"),
                     QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    }
    if (m_file.isOpen()) {
        QByteArray line = QJsonDocument(QJsonObject::fromVariantMap(entry))
                              .toJson(QJsonDocument::Compact);
        line.append('\n');
        // One write call per line: lines of concurrent writers never interleave
        // in O_APPEND mode.
        if (m_file.write(line) != line.size() && !m_failed) {
            m_failed = true;
            qCCritical(lcAuth).noquote() << "audit log" << m_file.fileName()
                                         << "write failed:" << m_file.errorString();
        }
    }
    Q_EMIT recorded(entry);
}

} // namespace halhub

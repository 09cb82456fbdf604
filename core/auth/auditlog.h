#pragma once

#include <QFile>
#include <QObject>
#include <QVariantMap>

namespace halhub {

// One line of JSON per command (PROTOCOL.md has none of this: it is the
// operator's record of who did what to which instrument). Every record is
// handed to the operating system as soon as it is written, so a crash of
// halhub loses none; `recorded` carries it to the GUI's event log.
//
// Fields: time (ISO 8601 UTC), user, address, session, device, command,
// params, status (ok, error, timeout, cancelled, duplicate, or the error
// code of a refusal), error (message when not ok), command_id, duration_ms.
class AuditLog : public QObject
{
    Q_OBJECT
public:
    explicit AuditLog(QObject *parent = nullptr);
    ~AuditLog() override;

    // Appends to fileName (created when missing). Without a file the records
    // still go out through `recorded`.
    bool open(const QString &fileName, QString *error);
    QString fileName() const { return m_file.fileName(); }

    // Stamps `time` when missing, writes the line, emits `recorded`.
    void record(QVariantMap entry);

Q_SIGNALS:
    void recorded(const QVariantMap &entry);

private:
    QFile m_file;
    bool m_failed = false;
};

} // namespace halhub

#pragma once

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>

// Runs h5check.py (h5py, Debian's python3) and returns its JSON, or an
// object with "error" when it failed.
inline QJsonObject h5check(const QStringList &args, int timeoutMs = 30000)
{
    QProcess p;
    p.start(QStringLiteral("/usr/bin/python3"),
            QStringList{QStringLiteral(HALHUB_H5CHECK)} + args);
    if (!p.waitForFinished(timeoutMs))
        return {{QStringLiteral("error"), QStringLiteral("h5check did not finish")}};
    const QJsonDocument doc = QJsonDocument::fromJson(p.readAllStandardOutput());
    if (!doc.isObject())
        return {{QStringLiteral("error"), QString::fromUtf8(p.readAllStandardError())}};
    return doc.object();
}

// Runs an HDF5 command-line tool (h5ls, h5dump) and returns its output.
inline QString h5tool(const QString &tool, const QStringList &args)
{
    QProcess p;
    p.start(tool, args);
    p.waitForFinished(30000);
    return QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
}

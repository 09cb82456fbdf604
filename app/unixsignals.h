#pragma once

#include <QObject>

class QSocketNotifier;

// Turns SIGTERM, SIGINT and SIGHUP into Qt signals, delivered in the event
// loop (the handler only writes one byte to a socket pair).
class UnixSignals : public QObject
{
    Q_OBJECT
public:
    explicit UnixSignals(QObject *parent = nullptr);
    ~UnixSignals() override;

Q_SIGNALS:
    void terminate();   // SIGTERM, SIGINT
    void hangup();      // SIGHUP

private:
    void onReadable();

    QSocketNotifier *m_notifier = nullptr;
};

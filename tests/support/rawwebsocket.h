#pragma once

#include <QTcpSocket>
#include <QUrl>
#include <QVariantMap>

// A WebSocket client over a bare QTcpSocket, for tests that need what
// QWebSocket hides: a peer that stops reading, or silence after the upgrade.
class RawWebSocket
{
public:
    RawWebSocket();

    // Connects and upgrades; with readLimit > 0, Qt buffers at most that many
    // bytes, so a peer that stops calling readFrames() stops the TCP window.
    bool open(const QUrl &url, qint64 readLimit = 0, int timeoutMs = 5000);
    // The upgrade request open() sends, for tests that send it themselves.
    static QByteArray upgradeRequest(const QUrl &url);
    void sendText(const QByteArray &utf8);

    // Reads whatever arrived and decodes complete messages (text or binary
    // frames; close frames set closeCode()).
    QList<QVariantMap> readMessages();
    int closeCode() const { return m_closeCode; }
    QTcpSocket &socket() { return m_socket; }

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
    QByteArray m_fragments;
    bool m_fragmentBinary = false;
    int m_closeCode = -1;
};

#pragma once

#include <QSslSocket>
#include <QUrl>
#include <QVariantMap>

// A WebSocket client over a bare socket, for tests that need what
// QWebSocket hides: a peer that stops reading, or silence after the upgrade.
// A wss:// URL connects with TLS first (set the trust on socket() before).
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
    // One masked frame: its first byte (FIN and opcode) and payload.
    void sendFrame(quint8 finAndOpcode, const QByteArray &payload);

    // Reads whatever arrived and decodes complete messages (text or binary
    // frames; close frames set closeCode()).
    QList<QVariantMap> readMessages();
    int closeCode() const { return m_closeCode; }
    // The payloads of the pings and pongs readMessages() came across.
    const QList<QByteArray> &pings() const { return m_pings; }
    const QList<QByteArray> &pongs() const { return m_pongs; }
    QSslSocket &socket() { return m_socket; }

private:
    QSslSocket m_socket;   // plain TCP unless the URL is wss://
    QByteArray m_buffer;
    QByteArray m_fragments;
    bool m_fragmentBinary = false;
    int m_closeCode = -1;
    QList<QByteArray> m_pings;
    QList<QByteArray> m_pongs;
};

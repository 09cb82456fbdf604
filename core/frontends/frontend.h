#pragma once

#include <QObject>

class QNetworkRequest;

namespace halhub {

class Connection;

// A front door of the hub: a protocol (or any other consumer) that serves
// client connections over the Hub it was built with. The halhub protocol
// (halhub/HalhubFrontend) is the server's own; others are added with
// Server::addFrontend() and are asked first which upgrades they serve, so
// that adding one changes neither the server nor the halhub front end.
class Frontend : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~Frontend() override = default;

    // Whether this front end serves a connection upgraded with this request
    // (its path, query, Sec-WebSocket-Protocol, ...).
    virtual bool accepts(const QNetworkRequest &upgrade) const = 0;
    // Serves the connection from now on, until it closes (Connection::closed).
    virtual void addConnection(Connection *connection) = 0;
    // The server is shutting down: every connection is told, in the front
    // end's own words, before the server closes them all.
    virtual void announceShutdown() = 0;
    // The streams it holds, for the server's metrics.
    virtual int streamCount() const = 0;
};

} // namespace halhub

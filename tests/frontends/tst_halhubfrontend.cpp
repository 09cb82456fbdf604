// The halhub protocol front end over a real hub, without a socket: what a
// client gets for each request, how sessions are shared and taken over, what
// the audit trail records, and which device events reach whom.

#include "auth/auditlog.h"
#include "auth/authenticator.h"
#include "fakebus.h"
#include "fakeconnection.h"
#include "frontends/halhub/halhubfrontend.h"
#include "hub/hub.h"
#include "testtokens.h"

#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <utility>

using namespace halhub;

namespace {

constexpr char kSecret[] = "frontend-test-secret";

QVariantMap msg(const QString &type, QVariantMap fields = {})
{
    fields.insert(QStringLiteral("type"), type);
    return fields;
}

DeviceInfo psu()
{
    DeviceInfo d = FakeBus::connectedDevice(QStringLiteral("psu1"),
                                            {QStringLiteral("voltage"), QStringLiteral("current")});
    d.rateHz = 10;
    ParamSpec value;
    value.name = QStringLiteral("value");
    value.type = ParamType::Number;
    value.required = true;
    value.minimum = 0;
    value.maximum = 30;
    d.commands = {CommandSpec{QStringLiteral("set_voltage"), QStringLiteral("Sets the output"), {value}}};
    return d;
}

Sample reading(double volts, qint64 ts)
{
    Sample s;
    s.device = QStringLiteral("psu1");
    s.timestampUs = ts;
    s.values = {{QStringLiteral("voltage"), volts}, {QStringLiteral("current"), 0.5}};
    return s;
}

} // namespace

class tst_HalhubFrontend : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void helloNamesTheSession();
    void subscribeStreamsTheDevice();
    void commandIsAckedAnsweredAndAudited();
    void refusedCommandIsAuditedWithItsConnection();
    void resumeTakesTheSessionOver();
    void closedConnectionLeavesItsSessionForAResume();
    void deviceEventsReachEveryClient();
    void removedDeviceClosesItsStreamsFirst();
    void slowClientGetsTheNewestFrameAndACount();

private:
    void build(const Config &config);
    FakeConnection *connect();
    // A welcomed session with one stream on psu1: {session, stream}.
    std::pair<QString, QString> helloAndSubscribe(FakeConnection *c);

    std::unique_ptr<FakeBus> m_bus;
    std::unique_ptr<Hub> m_hub;
    std::unique_ptr<Authenticator> m_auth;
    std::unique_ptr<HalhubFrontend> m_frontend;
    std::vector<std::unique_ptr<FakeConnection>> m_connections;
    quint64 m_nextId = 0;
};

void tst_HalhubFrontend::build(const Config &config)
{
    m_frontend.reset();
    m_hub.reset();
    m_bus = std::make_unique<FakeBus>();
    m_bus->add(psu(), true);
    m_hub = std::make_unique<Hub>(m_bus.get());
    m_auth = std::make_unique<Authenticator>(config.auth);
    QString error;
    QVERIFY2(m_auth->load(&error), qPrintable(error));
    m_frontend = std::make_unique<HalhubFrontend>(config, m_hub.get(), m_auth.get(),
                                                  [] { return QVariantMap{{QStringLiteral("clients"), 1}}; });
}

void tst_HalhubFrontend::init()
{
    build(Config::defaults());
}

void tst_HalhubFrontend::cleanup()
{
    m_frontend.reset();
    m_connections.clear();
    m_hub.reset();
    m_bus.reset();
}

FakeConnection *tst_HalhubFrontend::connect()
{
    m_connections.push_back(std::make_unique<FakeConnection>(++m_nextId));
    FakeConnection *c = m_connections.back().get();
    if (m_auth->isRequired())
        c->requireAuthentication(Authenticator::kGraceMs);
    m_frontend->addConnection(c);
    return c;
}

std::pair<QString, QString> tst_HalhubFrontend::helloAndSubscribe(FakeConnection *c)
{
    c->receive(msg(QStringLiteral("hello"), {{QStringLiteral("id"), 1}}));
    c->receive(msg(QStringLiteral("subscribe"), {{QStringLiteral("id"), 2},
                                                  {QStringLiteral("device"), QStringLiteral("psu1")}}));
    return {c->last(QStringLiteral("welcome")).value(QStringLiteral("session")).toString(),
            c->last(QStringLiteral("subscribed")).value(QStringLiteral("stream")).toString()};
}

void tst_HalhubFrontend::helloNamesTheSession()
{
    FakeConnection *c = connect();
    QVERIFY(!m_frontend->clientInfo(c->id())->session.size());
    c->receive(msg(QStringLiteral("hello"), {{QStringLiteral("id"), 1},
                                              {QStringLiteral("client"), QStringLiteral("notebook")},
                                              {QStringLiteral("encoding"), QStringLiteral("msgpack")}}));
    const QVariantMap welcome = c->last(QStringLiteral("welcome"), 1);
    QCOMPARE(welcome.value(QStringLiteral("resumed")).toBool(), false);
    const QString session = welcome.value(QStringLiteral("session")).toString();
    QCOMPARE(session.size(), 32);
    QCOMPARE(welcome.value(QStringLiteral("encoding")).toString(), QStringLiteral("msgpack"));
    QCOMPARE(c->encoding(), Encoding::MsgPack);
    QCOMPARE(m_frontend->clientInfo(c->id())->session, session);
    QCOMPARE(m_frontend->clientInfo(c->id())->client, QStringLiteral("notebook"));

    // A bad hello changes nothing, not even the encoding it asks for.
    c->receive(msg(QStringLiteral("hello"), {{QStringLiteral("id"), 2},
                                              {QStringLiteral("encoding"), QStringLiteral("json")},
                                              {QStringLiteral("last_seq"), QVariantMap{{QStringLiteral("s1"), -1}}}}));
    QCOMPARE(c->last(QStringLiteral("error"), 2).value(QStringLiteral("code")).toString(),
             QStringLiteral("invalid_params"));
    QCOMPARE(c->encoding(), Encoding::MsgPack);
    QCOMPARE(m_frontend->sessionCount(), 1);
}

void tst_HalhubFrontend::subscribeStreamsTheDevice()
{
    FakeConnection *c = connect();
    c->receive(msg(QStringLiteral("subscribe"), {{QStringLiteral("id"), 1},
                                                  {QStringLiteral("device"), QStringLiteral("psu1")},
                                                  {QStringLiteral("channels"), QVariantList{QStringLiteral("voltage")}}}));
    const QVariantMap subscribed = c->last(QStringLiteral("subscribed"), 1);
    const QString stream = subscribed.value(QStringLiteral("stream")).toString();
    QVERIFY(!stream.isEmpty());
    QCOMPARE(subscribed.value(QStringLiteral("rate_hz")).toDouble(), 10.0);

    m_bus->emitSample(reading(12.5, 1000));
    m_bus->emitSample(reading(12.6, 101000));
    const QList<QVariantMap> frames = c->sentOfType(QStringLiteral("telemetry"));
    QCOMPARE(frames.size(), 2);
    QCOMPARE(frames.at(0).value(QStringLiteral("stream")).toString(), stream);
    QCOMPARE(frames.at(0).value(QStringLiteral("seq")).toInt(), 1);
    QCOMPARE(frames.at(1).value(QStringLiteral("seq")).toInt(), 2);
    QCOMPARE(frames.at(1).value(QStringLiteral("ts")).toLongLong(), 101000);
    const QVariantMap values = frames.at(1).value(QStringLiteral("values")).toMap();
    QCOMPARE(values.value(QStringLiteral("voltage")).toDouble(), 12.6);
    QVERIFY(!values.contains(QStringLiteral("current")));

    c->receive(msg(QStringLiteral("unsubscribe"), {{QStringLiteral("id"), 2},
                                                    {QStringLiteral("stream"), stream}}));
    QVERIFY(!c->last(QStringLiteral("unsubscribed"), 2).isEmpty());
    m_bus->emitSample(reading(12.7, 201000));
    QCOMPARE(c->sentOfType(QStringLiteral("telemetry")).size(), 2);

    // Unknown devices and bad specs are refused, and make no stream.
    c->receive(msg(QStringLiteral("subscribe"), {{QStringLiteral("id"), 3},
                                                  {QStringLiteral("device"), QStringLiteral("nope")}}));
    QCOMPARE(c->last(QStringLiteral("error"), 3).value(QStringLiteral("code")).toString(),
             QStringLiteral("unknown_device"));
    c->receive(msg(QStringLiteral("subscribe"), {{QStringLiteral("id"), 4},
                                                  {QStringLiteral("device"), QStringLiteral("psu1")},
                                                  {QStringLiteral("rate_hz"), 5000}}));
    QCOMPARE(c->last(QStringLiteral("error"), 4).value(QStringLiteral("code")).toString(),
             QStringLiteral("invalid_params"));
    QCOMPARE(m_frontend->streamCount(), 0);
}

void tst_HalhubFrontend::commandIsAckedAnsweredAndAudited()
{
    QSignalSpy audit(m_hub->auditLog(), &AuditLog::recorded);
    FakeConnection *c = connect();
    c->receive(msg(QStringLiteral("command"), {{QStringLiteral("id"), QStringLiteral("c-1")},
                                                {QStringLiteral("device"), QStringLiteral("psu1")},
                                                {QStringLiteral("command"), QStringLiteral("set_voltage")},
                                                {QStringLiteral("params"), QVariantMap{{QStringLiteral("value"), 12}}}}));
    const QString commandId = c->last(QStringLiteral("ack"), QStringLiteral("c-1"))
                                  .value(QStringLiteral("command_id")).toString();
    QVERIFY(!commandId.isEmpty());
    QTRY_COMPARE(m_bus->starts.size(), 1);
    QCOMPARE(m_bus->starts.at(0).params.value(QStringLiteral("value")).toInt(), 12);
    QCOMPARE(audit.size(), 0);      // written with the outcome

    m_bus->answer(m_bus->starts.at(0).ticket, CommandOutcome::ok(QStringLiteral("VOLT 12")));
    const QVariantMap result = c->last(QStringLiteral("result"), QStringLiteral("c-1"));
    QCOMPARE(result.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(result.value(QStringLiteral("result")).toString(), QStringLiteral("VOLT 12"));
    QCOMPARE(result.value(QStringLiteral("command_id")).toString(), commandId);

    QCOMPARE(audit.size(), 1);
    const QVariantMap record = audit.at(0).at(0).toMap();
    QCOMPARE(record.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(record.value(QStringLiteral("address")).toString(), c->peerName());
    QCOMPARE(record.value(QStringLiteral("session")).toString(),
             m_frontend->clientInfo(c->id())->session);
    QCOMPARE(record.value(QStringLiteral("request_id")).toString(), QStringLiteral("c-1"));
    QCOMPARE(record.value(QStringLiteral("command_id")).toString(), commandId);

    // Out of range: refused before any ack, recorded at once, never run.
    c->receive(msg(QStringLiteral("command"), {{QStringLiteral("id"), 2},
                                                {QStringLiteral("device"), QStringLiteral("psu1")},
                                                {QStringLiteral("command"), QStringLiteral("set_voltage")},
                                                {QStringLiteral("params"), QVariantMap{{QStringLiteral("value"), 99}}}}));
    QCOMPARE(c->last(QStringLiteral("error"), 2).value(QStringLiteral("code")).toString(),
             QStringLiteral("invalid_params"));
    QVERIFY(c->last(QStringLiteral("ack"), 2).isEmpty());
    QCOMPARE(m_bus->starts.size(), 1);
    QCOMPARE(audit.size(), 2);
    QCOMPARE(audit.at(1).at(0).toMap().value(QStringLiteral("status")).toString(),
             QStringLiteral("invalid_params"));
}

void tst_HalhubFrontend::refusedCommandIsAuditedWithItsConnection()
{
    Config config = Config::defaults();
    config.auth.required = true;
    config.auth.jwtSecret = QString::fromLatin1(kSecret);
    build(config);
    QSignalSpy audit(m_hub->auditLog(), &AuditLog::recorded);
    FakeConnection *c = connect();
    const QVariantMap command = msg(QStringLiteral("command"),
                                    {{QStringLiteral("id"), 1},
                                     {QStringLiteral("device"), QStringLiteral("psu1")},
                                     {QStringLiteral("command"), QStringLiteral("set_voltage")},
                                     {QStringLiteral("params"), QVariantMap{{QStringLiteral("value"), 1}}}});
    c->receive(command);
    QCOMPARE(c->last(QStringLiteral("error"), 1).value(QStringLiteral("code")).toString(),
             QStringLiteral("unauthorized"));
    QCOMPARE(audit.size(), 1);
    QVariantMap record = audit.at(0).at(0).toMap();
    QCOMPARE(record.value(QStringLiteral("status")).toString(), QStringLiteral("unauthorized"));
    QCOMPARE(record.value(QStringLiteral("session")).toString(), QString());
    QCOMPARE(record.value(QStringLiteral("connection")).toString(),
             QStringLiteral("connection %1").arg(c->id()));
    QCOMPARE(m_frontend->sessionCount(), 0);
    QCOMPARE(m_bus->starts.size(), 0);

    // A token that may only read: forbidden, recorded with the user.
    const QByteArray reader = testtokens::hmac("HS256", kSecret,
                                               testtokens::claims(QStringLiteral("ada"), QStringLiteral("telemetry:read")));
    c->receive(msg(QStringLiteral("hello"), {{QStringLiteral("id"), 2},
                                              {QStringLiteral("token"), QString::fromLatin1(reader)}}));
    QVERIFY(!c->last(QStringLiteral("welcome"), 2).isEmpty());
    QVERIFY(c->isAuthenticated());
    c->receive(command);
    QCOMPARE(c->last(QStringLiteral("error"), 1).value(QStringLiteral("code")).toString(),
             QStringLiteral("forbidden"));
    QCOMPARE(audit.size(), 2);
    record = audit.at(1).at(0).toMap();
    QCOMPARE(record.value(QStringLiteral("user")).toString(), QStringLiteral("ada"));
    QCOMPARE(record.value(QStringLiteral("status")).toString(), QStringLiteral("forbidden"));
    QCOMPARE(m_bus->starts.size(), 0);
}

void tst_HalhubFrontend::resumeTakesTheSessionOver()
{
    FakeConnection *first = connect();
    const auto [session, stream] = helloAndSubscribe(first);

    FakeConnection *second = connect();
    second->receive(msg(QStringLiteral("hello"), {{QStringLiteral("id"), 1},
                                                   {QStringLiteral("resume"), session}}));
    const QVariantMap welcome = second->last(QStringLiteral("welcome"));
    QCOMPARE(welcome.value(QStringLiteral("resumed")).toBool(), true);
    QCOMPARE(welcome.value(QStringLiteral("session")).toString(), session);
    QCOMPARE(welcome.value(QStringLiteral("streams")).toList().size(), 1);
    QCOMPARE(first->closeCode(), 4409);
    QCOMPARE(m_frontend->sessionCount(), 1);

    // The stream's frames now go to the connection that took it.
    second->clearSent();
    m_bus->emitSample(reading(5, 1000));
    QCOMPARE(second->sentOfType(QStringLiteral("telemetry")).size(), 1);
    QCOMPARE(second->last(QStringLiteral("telemetry")).value(QStringLiteral("stream")).toString(), stream);
    QTRY_VERIFY(!m_frontend->clientInfo(first->id()));
    QCOMPARE(m_frontend->clientInfo(second->id())->session, session);
}

void tst_HalhubFrontend::closedConnectionLeavesItsSessionForAResume()
{
    FakeConnection *first = connect();
    const auto [session, stream] = helloAndSubscribe(first);
    m_bus->emitSample(reading(1, 1000));
    QCOMPARE(first->sentOfType(QStringLiteral("telemetry")).size(), 1);
    Q_EMIT first->closed();       // the client went away
    QVERIFY(!m_frontend->clientInfo(first->id()));

    // Frames made meanwhile are kept for the resume.
    m_bus->emitSample(reading(2, 101000));
    m_bus->emitSample(reading(3, 201000));
    FakeConnection *second = connect();
    second->receive(msg(QStringLiteral("hello"), {{QStringLiteral("id"), 1},
                                                   {QStringLiteral("resume"), session},
                                                   {QStringLiteral("last_seq"), QVariantMap{{stream, 1}}}}));
    QCOMPARE(second->last(QStringLiteral("welcome")).value(QStringLiteral("resumed")).toBool(), true);
    const QList<QVariantMap> replayed = second->sentOfType(QStringLiteral("telemetry"));
    QCOMPARE(replayed.size(), 2);
    QCOMPARE(replayed.at(0).value(QStringLiteral("seq")).toInt(), 2);
    QCOMPARE(replayed.at(1).value(QStringLiteral("seq")).toInt(), 3);
    QCOMPARE(replayed.at(1).value(QStringLiteral("values")).toMap().value(QStringLiteral("voltage")).toDouble(), 3.0);
}

void tst_HalhubFrontend::deviceEventsReachEveryClient()
{
    QSignalSpy broadcast(m_frontend.get(), &HalhubFrontend::eventBroadcast);
    FakeConnection *a = connect();
    FakeConnection *b = connect();
    m_bus->setState(QStringLiteral("psu1"), DeviceState::Disconnected);
    for (FakeConnection *c : {a, b}) {
        const QVariantMap e = c->last(QStringLiteral("event"));
        QCOMPARE(e.value(QStringLiteral("event")).toString(), QStringLiteral("device_disconnected"));
        QCOMPARE(e.value(QStringLiteral("device")).toString(), QStringLiteral("psu1"));
        QVERIFY(!e.contains(QStringLiteral("id")));
    }
    // Errors: the first at once, the rest counted into one more a second later.
    for (int i = 0; i < 5; ++i)
        m_bus->raiseError(QStringLiteral("psu1"), QStringLiteral("bad reply %1").arg(i));
    const auto errorsOf = [](const FakeConnection *c) {
        QList<QVariantMap> list;
        for (const QVariantMap &m : c->sentOfType(QStringLiteral("event"))) {
            if (m.value(QStringLiteral("event")) == QLatin1String("device_error"))
                list.append(m);
        }
        return list;
    };
    QCOMPARE(errorsOf(a).size(), 1);
    QCOMPARE(errorsOf(a).at(0).value(QStringLiteral("data")).toMap().value(QStringLiteral("count")).toInt(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(errorsOf(b).size(), 2, 3000);
    const QVariantMap later = errorsOf(b).at(1).value(QStringLiteral("data")).toMap();
    QCOMPARE(later.value(QStringLiteral("count")).toInt(), 4);
    QCOMPARE(later.value(QStringLiteral("message")).toString(), QStringLiteral("bad reply 4"));
    QCOMPARE(broadcast.size(), 3);
}

void tst_HalhubFrontend::removedDeviceClosesItsStreamsFirst()
{
    FakeConnection *owner = connect();
    FakeConnection *other = connect();
    owner->receive(msg(QStringLiteral("subscribe"), {{QStringLiteral("id"), 1},
                                                      {QStringLiteral("device"), QStringLiteral("psu1")}}));
    const QString stream = owner->last(QStringLiteral("subscribed")).value(QStringLiteral("stream")).toString();
    m_bus->remove(QStringLiteral("psu1"));

    QStringList events;
    for (const QVariantMap &m : owner->sentOfType(QStringLiteral("event")))
        events.append(m.value(QStringLiteral("event")).toString());
    QCOMPARE(events, (QStringList{QStringLiteral("stream_closed"), QStringLiteral("device_removed")}));
    QCOMPARE(owner->sentOfType(QStringLiteral("event")).at(0).value(QStringLiteral("stream")).toString(), stream);
    // The stream was the owner's: the other client only hears of the device.
    QCOMPARE(other->sentOfType(QStringLiteral("event")).size(), 1);
    QCOMPARE(m_frontend->streamCount(), 0);
}

void tst_HalhubFrontend::slowClientGetsTheNewestFrameAndACount()
{
    FakeConnection *c = connect();
    c->receive(msg(QStringLiteral("subscribe"), {{QStringLiteral("id"), 1},
                                                  {QStringLiteral("device"), QStringLiteral("psu1")}}));
    m_bus->emitSample(reading(1, 1000));
    c->setTelemetryAllowed(false);
    for (int i = 2; i <= 6; ++i)
        m_bus->emitSample(reading(i, i * 100000));
    QCOMPARE(c->sentOfType(QStringLiteral("telemetry")).size(), 1);
    c->drain();
    const QList<QVariantMap> frames = c->sentOfType(QStringLiteral("telemetry"));
    QCOMPARE(frames.size(), 2);
    const QVariantMap coalesced = frames.at(1);
    QCOMPARE(coalesced.value(QStringLiteral("values")).toMap().value(QStringLiteral("voltage")).toDouble(), 6.0);
    QCOMPARE(coalesced.value(QStringLiteral("gap")).toBool(), true);
    QCOMPARE(coalesced.value(QStringLiteral("key")).toBool(), true);
    // The drops are told: frames 2 to 5 never went out.
    QTRY_VERIFY_WITH_TIMEOUT(!c->last(QStringLiteral("event")).isEmpty(), 3000);
    const QVariantMap overflow = c->last(QStringLiteral("event"));
    QCOMPARE(overflow.value(QStringLiteral("event")).toString(), QStringLiteral("stream_overflow"));
    QCOMPARE(overflow.value(QStringLiteral("data")).toMap().value(QStringLiteral("dropped")).toInt(), 4);
}

QTEST_GUILESS_MAIN(tst_HalhubFrontend)
#include "tst_halhubfrontend.moc"

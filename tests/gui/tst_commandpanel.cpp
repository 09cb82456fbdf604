// The Commands dock: a command sent from the window is checked, queued,
// audited and answered exactly like a client's, and the operator sees its
// ack and result.

#include "commandpanel.h"
#include "guifixture.h"

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStandardItemModel>
#include <QtTest>

using namespace halhub;
using namespace halhub::test;

class tst_CommandPanel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void formFollowsTheDeviceDescription();
    void sentCommandReachesTheDevice();
    void failuresAreShown_data();
    void failuresAreShown();
    void unreadableFieldSendsNothing();
    void commandsAreAudited();

private:
    // The history row's status once it is final.
    QString finalStatus(const CommandPanel &panel, int row) const
    {
        const QString s = panel.history()->item(row, CommandPanel::StatusColumn)->text();
        return s == CommandPanel::tr("queued") ? QString() : s;
    }

    QTemporaryDir m_dir;
    QString m_auditFile;
    RunningServer m_running;
};

void tst_CommandPanel::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_auditFile = m_dir.filePath(QStringLiteral("audit.jsonl"));
    QVERIFY(m_running.start({simConfig(QStringLiteral("sim0"))},
                            [&](Config &c) { c.auth.auditLog = m_auditFile; }));
}

void tst_CommandPanel::formFollowsTheDeviceDescription()
{
    CommandPanel panel(&m_running.hal, m_running.server->commands());
    panel.select(QStringLiteral("sim0"), QStringLiteral("set"));
    QCOMPARE(panel.selectedDevice(), QStringLiteral("sim0"));
    QCOMPARE(panel.selectedCommand(), QStringLiteral("set"));
    // `channel` takes one of the allowed names, `value` a number.
    auto *channel = panel.findChild<QComboBox *>(QStringLiteral("param_channel"));
    QVERIFY(channel);
    QVERIFY(channel->findText(QStringLiteral("sine")) > 0);
    auto *value = panel.findChild<QLineEdit *>(QStringLiteral("param_value"));
    QVERIFY(value);
    QVERIFY(value->placeholderText().contains(QStringLiteral("number")));
    auto *description = panel.findChild<QLabel *>(QStringLiteral("commandDescription"));
    QVERIFY(description->text().contains(QStringLiteral("Holds a channel")));

    // Another command, another form.
    panel.select(QStringLiteral("sim0"), QStringLiteral("sleep"));
    QVERIFY(!panel.findChild<QComboBox *>(QStringLiteral("param_channel")));
    auto *ms = panel.findChild<QLineEdit *>(QStringLiteral("param_ms"));
    QVERIFY(ms);
    QVERIFY(ms->placeholderText().contains(QStringLiteral("60000")));
}

void tst_CommandPanel::sentCommandReachesTheDevice()
{
    CommandPanel panel(&m_running.hal, m_running.server->commands());
    Client client(m_running.server->url());
    QTRY_VERIFY(client.isOpen());
    QVERIFY(!client.subscribe({{QStringLiteral("device"), QStringLiteral("sim0")},
                               {QStringLiteral("channels"), QVariantList{QStringLiteral("sine")}}},
                              1).isEmpty());

    panel.select(QStringLiteral("sim0"), QStringLiteral("set"));
    QVERIFY(panel.setParamText(QStringLiteral("channel"), QStringLiteral("sine")));
    QVERIFY(panel.setParamText(QStringLiteral("value"), QStringLiteral("2.5")));
    panel.findChild<QPushButton *>(QStringLiteral("commandSend"))->click();

    QCOMPARE(panel.history()->rowCount(), 1);
    QCOMPARE(panel.history()->item(0, CommandPanel::CommandColumn)->text(), QStringLiteral("set"));
    QVERIFY(panel.history()->item(0, CommandPanel::ParamsColumn)->text().contains(QStringLiteral("2.5")));
    QTRY_COMPARE(finalStatus(panel, 0), QStringLiteral("ok"));
    // The device holds the value: a streaming client sees it.
    QTRY_VERIFY(std::any_of(client.messages().cbegin(), client.messages().cend(),
                            [](const QVariantMap &m) {
                                return m.value(QStringLiteral("type")) == QLatin1String("telemetry")
                                    && m.value(QStringLiteral("values")).toMap()
                                               .value(QStringLiteral("sine")).toDouble() == 2.5;
                            }));
    // And lets go of it again.
    panel.setParamText(QStringLiteral("value"), QString());
    panel.sendForm();
    QTRY_COMPARE(finalStatus(panel, 1), QStringLiteral("ok"));
}

void tst_CommandPanel::failuresAreShown_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QString>("param");
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("status");
    QTest::addColumn<QString>("result");

    QTest::addRow("the device answers with an error")
        << QStringLiteral("fail") << QString() << QString() << QStringLiteral("error")
        << QStringLiteral("device_error");
    QTest::addRow("a param out of range is refused before the device")
        << QStringLiteral("sleep") << QStringLiteral("ms") << QStringLiteral("70000")
        << CommandPanel::tr("refused") << QStringLiteral("invalid_params");
    QTest::addRow("a missing required param is refused")
        << QStringLiteral("sleep") << QString() << QString() << CommandPanel::tr("refused")
        << QStringLiteral("invalid_params");
}

void tst_CommandPanel::failuresAreShown()
{
    QFETCH(QString, command);
    QFETCH(QString, param);
    QFETCH(QString, text);
    QFETCH(QString, status);
    QFETCH(QString, result);

    CommandPanel panel(&m_running.hal, m_running.server->commands());
    panel.select(QStringLiteral("sim0"), command);
    if (!param.isEmpty())
        QVERIFY(panel.setParamText(param, text));
    panel.sendForm();
    QCOMPARE(panel.history()->rowCount(), 1);
    QTRY_COMPARE(finalStatus(panel, 0), status);
    QVERIFY2(panel.history()->item(0, CommandPanel::ResultColumn)->text().contains(result),
             qPrintable(panel.history()->item(0, CommandPanel::ResultColumn)->text()));
}

void tst_CommandPanel::unreadableFieldSendsNothing()
{
    CommandPanel panel(&m_running.hal, m_running.server->commands());
    panel.select(QStringLiteral("sim0"), QStringLiteral("sleep"));
    QVERIFY(panel.setParamText(QStringLiteral("ms"), QStringLiteral("ten")));
    panel.sendForm();
    QCOMPARE(panel.history()->rowCount(), 0);
    QVERIFY(panel.findChild<QLabel *>(QStringLiteral("commandStatus"))->text().contains(QStringLiteral("ten")));
}

void tst_CommandPanel::commandsAreAudited()
{
    CommandPanel panel(&m_running.hal, m_running.server->commands());
    panel.select(QStringLiteral("sim0"), QStringLiteral("echo"));
    panel.sendForm();
    QTRY_COMPARE(finalStatus(panel, 0), QStringLiteral("ok"));
    const auto auditedEcho = [&] {
        QFile file(m_auditFile);
        if (!file.open(QIODevice::ReadOnly))
            return QJsonObject();
        for (const QByteArray &line : file.readAll().split('\n')) {
            const QJsonObject record = QJsonDocument::fromJson(line).object();
            if (record.value(QStringLiteral("command")) == QLatin1String("echo")
                && record.value(QStringLiteral("status")) == QLatin1String("ok"))
                return record;
        }
        return QJsonObject();
    };
    QTRY_VERIFY(!auditedEcho().isEmpty());
    const QJsonObject record = auditedEcho();
    QCOMPARE(record.value(QStringLiteral("address")).toString(), QStringLiteral("gui"));
    QCOMPARE(record.value(QStringLiteral("session")).toString(), CommandPanel::session());
    QCOMPARE(record.value(QStringLiteral("device")).toString(), QStringLiteral("sim0"));
    QVERIFY(record.contains(QStringLiteral("command_id")));
}

QTEST_MAIN(tst_CommandPanel)
#include "tst_commandpanel.moc"

#include "devicetablemodel.h"
#include "guifixture.h"
#include "mainwindow.h"
#include "translations.h"

#include <QDockWidget>
#include <QLabel>
#include <QMenuBar>
#include <QTranslator>
#include <QtTest>

using namespace halhub;
using namespace halhub::test;

class tst_Translations : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanup();
    void windowSpeaksTheLanguage_data();
    void windowSpeaksTheLanguage();
    void unknownLanguageFallsBackToEnglish();

private:
    QTemporaryDir m_settingsDir;
    RunningServer m_running;
};

void tst_Translations::initTestCase()
{
    isolateSettings(m_settingsDir);
    QVERIFY(m_running.start());
}

void tst_Translations::cleanup()
{
    // Translators are process-wide: each row starts from none.
    for (QTranslator *t : QCoreApplication::instance()->findChildren<QTranslator *>()) {
        QCoreApplication::removeTranslator(t);
        delete t;
    }
    QLocale::setDefault(QLocale::c());
}

void tst_Translations::windowSpeaksTheLanguage_data()
{
    QTest::addColumn<QString>("lang");
    QTest::addColumn<QString>("devicesTitle");
    QTest::addColumn<QString>("stateHeader");
    QTest::addColumn<QString>("connected");
    QTest::addColumn<QString>("viewMenu");
    QTest::addColumn<QString>("oneClient");
    QTest::addRow("English") << "en" << "Devices" << "State" << "connected" << "&View" << "0 clients";
    QTest::addRow("German") << "de" << "Geräte" << "Zustand" << "verbunden" << "&Ansicht" << "0 Clients";
    QTest::addRow("German (Austria) finds de") << "de_AT" << "Geräte" << "Zustand" << "verbunden"
                                                << "&Ansicht" << "0 Clients";
}

void tst_Translations::windowSpeaksTheLanguage()
{
    QFETCH(QString, lang);
    QFETCH(QString, devicesTitle);
    QFETCH(QString, stateHeader);
    QFETCH(QString, connected);
    QFETCH(QString, viewMenu);
    QFETCH(QString, oneClient);

    QVERIFY(installTranslations(*QCoreApplication::instance(), lang));
    MainWindow window(m_running.server.get(), &m_running.hal);
    QCOMPARE(window.findChild<QDockWidget *>(QStringLiteral("devicesDock"))->windowTitle(), devicesTitle);
    QCOMPARE(window.deviceModel()->headerData(DeviceTableModel::StateColumn, Qt::Horizontal).toString(),
             stateHeader);
    QCOMPARE(DeviceTableModel::stateText(DeviceState::Connected), connected);
    QStringList menus;
    for (QAction *a : window.menuBar()->actions())
        menus.append(a->text());
    QVERIFY2(menus.contains(viewMenu), qPrintable(menus.join(QLatin1Char(' '))));
    QCOMPARE(window.findChild<QLabel *>(QStringLiteral("clientsLabel"))->text(), oneClient);
}

void tst_Translations::unknownLanguageFallsBackToEnglish()
{
    QVERIFY(!installTranslations(*QCoreApplication::instance(), QStringLiteral("sw")));
    QCOMPARE(DeviceTableModel::stateText(DeviceState::Disconnected), QStringLiteral("disconnected"));
}

QTEST_MAIN(tst_Translations)
#include "tst_translations.moc"

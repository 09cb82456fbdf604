<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>halhub::ClientTableModel</name>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="57"/>
        <source>Bytes queued in the server and not yet handed to the operating system</source>
        <translation>Im Server wartende, noch nicht an das Betriebssystem übergebene Bytes</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="59"/>
        <source>Session %1</source>
        <translation>Sitzung %1</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="75"/>
        <source>(anonymous)</source>
        <translation>(anonym)</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="81"/>
        <source>%1 + zlib</source>
        <translation>%1 + zlib</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="102"/>
        <source>Address</source>
        <translation>Adresse</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="104"/>
        <source>User</source>
        <translation>Benutzer</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="106"/>
        <source>Client</source>
        <translation>Client</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="108"/>
        <source>Connected since</source>
        <translation>Verbunden seit</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="110"/>
        <source>Encoding</source>
        <translation>Kodierung</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="112"/>
        <source>Msgs in</source>
        <translation>Nachr. ein</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="114"/>
        <source>Msgs out</source>
        <translation>Nachr. aus</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="116"/>
        <source>Unsent</source>
        <translation>Ungesendet</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="118"/>
        <source>Rate-limited</source>
        <translation>Gedrosselt</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="120"/>
        <source>Streams</source>
        <translation>Streams</translation>
    </message>
    <message>
        <location filename="../gui/clienttablemodel.cpp" line="139"/>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
</context>
<context>
    <name>halhub::DeviceTableModel</name>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="78"/>
        <source>connected</source>
        <translation>verbunden</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="80"/>
        <source>connecting</source>
        <translation>verbindet</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="82"/>
        <source>disconnected</source>
        <translation>getrennt</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="84"/>
        <source>error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="109"/>
        <source>%1 at %2</source>
        <translation>%1 um %2</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="130"/>
        <source>%1 Hz</source>
        <translation>%1 Hz</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="130"/>
        <source>push</source>
        <translation>Push</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="143"/>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="145"/>
        <source>Plugin</source>
        <translation>Plugin</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="147"/>
        <source>Port</source>
        <translation>Anschluss</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="149"/>
        <source>State</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="151"/>
        <source>Native rate</source>
        <translation>Eigene Rate</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="153"/>
        <source>Last error</source>
        <translation>Letzter Fehler</translation>
    </message>
</context>
<context>
    <name>halhub::EventLogModel</name>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="81"/>
        <source>Info</source>
        <translation>Info</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="83"/>
        <source>Warning</source>
        <translation>Warnung</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="85"/>
        <source>Error</source>
        <translation>Fehler</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="107"/>
        <source>Device connected</source>
        <translation>Gerät verbunden</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="109"/>
        <source>Device disconnected</source>
        <translation>Gerät getrennt</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="111"/>
        <source>Device error</source>
        <translation>Gerätefehler</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="113"/>
        <source>Device added</source>
        <translation>Gerät hinzugefügt</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="115"/>
        <source>Device removed</source>
        <translation>Gerät entfernt</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="117"/>
        <source>Frames dropped</source>
        <translation>Frames verworfen</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="119"/>
        <source>Stream closed</source>
        <translation>Stream geschlossen</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="121"/>
        <source>Stream opened</source>
        <translation>Stream geöffnet</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="123"/>
        <source>Server shutting down</source>
        <translation>Server fährt herunter</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="125"/>
        <source>Client connected</source>
        <translation>Client verbunden</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="127"/>
        <source>Client disconnected</source>
        <translation>Client getrennt</translation>
    </message>
    <message>
        <source>Command (audit)</source>
        <translation>Befehl (Protokoll)</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="129"/>
        <source>Command finished</source>
        <translation>Befehl ausgeführt</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="131"/>
        <source>Command failed</source>
        <translation>Befehl fehlgeschlagen</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/eventlogmodel.cpp" line="140"/>
        <source>%1 (%n times)</source>
        <translation>
            <numerusform>%1 (%n-mal)</numerusform>
            <numerusform>%1 (%n-mal)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/eventlogmodel.cpp" line="143"/>
        <source>%n frame(s) dropped</source>
        <translation>
            <numerusform>%n Frame verworfen</numerusform>
            <numerusform>%n Frames verworfen</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="192"/>
        <source>%1 / %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="210"/>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="212"/>
        <source>Severity</source>
        <translation>Schwere</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="214"/>
        <source>Source</source>
        <translation>Quelle</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="216"/>
        <source>Event</source>
        <translation>Ereignis</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="218"/>
        <source>Details</source>
        <translation>Details</translation>
    </message>
</context>
<context>
    <name>halhub::LatencyHistogramView</name>
    <message>
        <location filename="../gui/latencyhistogramview.cpp" line="24"/>
        <source>%1 µs</source>
        <translation>%1 µs</translation>
    </message>
    <message>
        <location filename="../gui/latencyhistogramview.cpp" line="27"/>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <location filename="../gui/latencyhistogramview.cpp" line="29"/>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <location filename="../gui/latencyhistogramview.cpp" line="39"/>
        <source>No telemetry yet</source>
        <translation>Noch keine Telemetrie</translation>
    </message>
    <message>
        <location filename="../gui/latencyhistogramview.cpp" line="71"/>
        <source>p50</source>
        <translation>p50</translation>
    </message>
    <message>
        <location filename="../gui/latencyhistogramview.cpp" line="72"/>
        <source>p95</source>
        <translation>p95</translation>
    </message>
    <message>
        <location filename="../gui/latencyhistogramview.cpp" line="73"/>
        <source>p99</source>
        <translation>p99</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/latencyhistogramview.cpp" line="74"/>
        <source>%n frame(s) in the last minute · avg %1 · max %2</source>
        <translation>
            <numerusform>%n Frame in der letzten Minute · Mittel %1 · Max. %2</numerusform>
            <numerusform>%n Frames in der letzten Minute · Mittel %1 · Max. %2</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/latencyhistogramview.cpp" line="77"/>
        <source>No telemetry in the last minute</source>
        <translation>Keine Telemetrie in der letzten Minute</translation>
    </message>
    <message>
        <location filename="../gui/latencyhistogramview.cpp" line="234"/>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
</context>
<context>
    <name>halhub::LivePlot</name>
    <message>
        <location filename="../gui/liveplot.cpp" line="210"/>
        <location filename="../gui/liveplot.cpp" line="265"/>
        <source>%1 [%2]</source>
        <translation>%1 [%2]</translation>
    </message>
    <message>
        <location filename="../gui/liveplot.cpp" line="252"/>
        <source>Select a device to plot its channels</source>
        <translation>Wählen Sie ein Gerät, um seine Kanäle zu zeichnen</translation>
    </message>
    <message>
        <location filename="../gui/liveplot.cpp" line="319"/>
        <source>now</source>
        <translation>jetzt</translation>
    </message>
    <message>
        <location filename="../gui/liveplot.cpp" line="319"/>
        <source>−%1 s</source>
        <translation>−%1 s</translation>
    </message>
    <message>
        <location filename="../gui/liveplot.cpp" line="331"/>
        <source>Waiting for samples from %1…</source>
        <translation>Warte auf Messwerte von %1…</translation>
    </message>
</context>
<context>
    <name>halhub::MainWindow</name>
    <message>
        <source>NO AUTHENTICATION: anyone who can reach this port can command the instruments (--insecure)</source>
        <translation>KEINE AUTHENTIFIZIERUNG: Jeder, der diesen Port erreicht, kann die Instrumente steuern (--insecure)</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/mainwindow.cpp" line="60"/>
        <source>%n day(s) %1</source>
        <translation>
            <numerusform>%n Tag %1</numerusform>
            <numerusform>%n Tage %1</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="69"/>
        <source>halhub monitor</source>
        <translation>halhub-Monitor</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="97"/>
        <source>halhub monitor – %1</source>
        <translation>halhub-Monitor – %1</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="136"/>
        <source>Show in &amp;plot</source>
        <translation>Im &amp;Diagramm zeigen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="138"/>
        <source>Plot the selected device&apos;s channels</source>
        <translation>Die Kanäle des gewählten Geräts zeichnen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="143"/>
        <source>&amp;Unplug test</source>
        <translation>&amp;Trenntest</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="146"/>
        <source>Make the selected simulated device go away for a second and come back</source>
        <translation>Das gewählte simulierte Gerät für eine Sekunde verschwinden und wiederkommen lassen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="150"/>
        <source>&amp;Reconnect</source>
        <translation>&amp;Neu verbinden</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="152"/>
        <source>Ask the selected device to reconnect (devices that offer it)</source>
        <translation>Das gewählte Gerät neu verbinden lassen (sofern es das anbietet)</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="157"/>
        <source>&amp;Disconnect</source>
        <translation>&amp;Trennen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="159"/>
        <source>Close the selected client&apos;s connection</source>
        <translation>Die Verbindung des gewählten Clients schließen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="166"/>
        <source>&amp;Export events…</source>
        <translation>Ereignisse &amp;exportieren…</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="168"/>
        <source>Save the events shown to a CSV or JSON lines file</source>
        <translation>Die angezeigten Ereignisse als CSV- oder JSON-Lines-Datei speichern</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="172"/>
        <source>C&amp;lear events</source>
        <translation>Ereignisse &amp;leeren</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="177"/>
        <source>&amp;Reset layout</source>
        <translation>Anordnung &amp;zurücksetzen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="181"/>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="186"/>
        <source>&amp;About halhub</source>
        <translation>Ü&amp;ber halhub</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="189"/>
        <source>About halhub</source>
        <translation>Über halhub</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="190"/>
        <source>&lt;b&gt;halhub %1&lt;/b&gt;&lt;p&gt;Serves lab instruments to WebSocket clients.&lt;/p&gt;&lt;p&gt;This window monitors devices, clients, streams and latency.&lt;/p&gt;</source>
        <translation>&lt;b&gt;halhub %1&lt;/b&gt;&lt;p&gt;Stellt Laborgeräte für WebSocket-Clients bereit.&lt;/p&gt;&lt;p&gt;Dieses Fenster überwacht Geräte, Clients, Streams und Latenz.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="204"/>
        <source>Devi&amp;ce:</source>
        <translation>&amp;Gerät:</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="209"/>
        <source>&amp;Window:</source>
        <translation>&amp;Zeitfenster:</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/mainwindow.cpp" line="213"/>
        <source>%n second(s)</source>
        <translation>
            <numerusform>%n Sekunde</numerusform>
            <numerusform>%n Sekunden</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="215"/>
        <source>Click a channel&apos;s name to hide or show it.</source>
        <translation>Klick auf einen Kanalnamen blendet ihn aus oder ein.</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="305"/>
        <source>Devices</source>
        <translation>Geräte</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="319"/>
        <source>Clients</source>
        <translation>Clients</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="330"/>
        <source>Streams</source>
        <translation>Streams</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="339"/>
        <source>&amp;Markers for:</source>
        <translation>&amp;Markierungen für:</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="342"/>
        <source>All streams</source>
        <translation>Alle Streams</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="349"/>
        <source>Time from a device sample to the socket write of its frame, live frames of the last minute</source>
        <translation>Zeit vom Messwert des Geräts bis zum Schreiben seines Frames in den Socket, Live-Frames der letzten Minute</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="353"/>
        <source>Latency</source>
        <translation>Latenz</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="367"/>
        <source>Filter events…</source>
        <translation>Ereignisse filtern…</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="382"/>
        <source>Events</source>
        <translation>Ereignisse</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="414"/>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="419"/>
        <source>&amp;Devices</source>
        <translation>&amp;Geräte</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="424"/>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="430"/>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="441"/>
        <source>Listening here; click to copy the address</source>
        <translation>Hier wird gelauscht; Klick kopiert die Adresse</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="442"/>
        <source>not listening</source>
        <translation>lauscht nicht</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="549"/>
        <source>%1 – %2</source>
        <translation>%1 – %2</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="579"/>
        <source>Stream %1 (%2)</source>
        <translation>Stream %1 (%2)</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="600"/>
        <source>%1 refused: %2</source>
        <translation>%1 abgelehnt: %2</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="606"/>
        <source>Sent %1 to %2</source>
        <translation>%1 an %2 gesendet</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="628"/>
        <source>%1: ok after %2 ms</source>
        <translation>%1: ok nach %2 ms</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="629"/>
        <source>%1: %2 (%3)</source>
        <translation>%1: %2 (%3)</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="677"/>
        <source>%1 at %2 Hz</source>
        <translation>%1 mit %2 Hz</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/mainwindow.cpp" line="689"/>
        <source>%n frame(s) sent</source>
        <translation>
            <numerusform>%n Frame gesendet</numerusform>
            <numerusform>%n Frames gesendet</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="733"/>
        <source>p50</source>
        <translation>p50</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="735"/>
        <source>p95</source>
        <translation>p95</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="736"/>
        <source>Stream %1 (%2): percentiles of its last 256 frames</source>
        <translation>Stream %1 (%2): Perzentile seiner letzten 256 Frames</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/mainwindow.cpp" line="747"/>
        <source>%n client(s)</source>
        <translation>
            <numerusform>%n Client</numerusform>
            <numerusform>%n Clients</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="759"/>
        <source>%1 msg/s</source>
        <translation>%1 Nachr./s</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="760"/>
        <source>up %1</source>
        <translation>läuft seit %1</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="768"/>
        <source>Copied %1</source>
        <translation>%1 kopiert</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="779"/>
        <source>No events to export</source>
        <translation>Keine Ereignisse zum Exportieren</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="784"/>
        <source>Could not write %1: %2</source>
        <translation>%1 konnte nicht geschrieben werden: %2</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/mainwindow.cpp" line="787"/>
        <source>%n event(s) written to %1</source>
        <translation>
            <numerusform>%n Ereignis in %1 geschrieben</numerusform>
            <numerusform>%n Ereignisse in %1 geschrieben</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="796"/>
        <source>Export events</source>
        <translation>Ereignisse exportieren</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="799"/>
        <source>CSV (*.csv);;JSON lines (*.jsonl)</source>
        <translation>CSV (*.csv);;JSON Lines (*.jsonl)</translation>
    </message>
</context>
<context>
    <name>halhub::StreamTableModel</name>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="21"/>
        <source>%1 Hz</source>
        <translation>%1 Hz</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="30"/>
        <source>%1 ms</source>
        <translation>%1 ms</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="80"/>
        <source>Session %1</source>
        <translation>Sitzung %1</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="82"/>
        <source>Granted: %1</source>
        <translation>Gewährt: %1</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="83"/>
        <source>Granted: one frame per device sample</source>
        <translation>Gewährt: ein Frame je Messwert des Geräts</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="85"/>
        <source>%1 frames produced</source>
        <translation>%1 Frames erzeugt</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="100"/>
        <source>detached (%1…)</source>
        <translation>getrennt (%1…)</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="108"/>
        <source>native</source>
        <translation>eigene</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="132"/>
        <source>Stream</source>
        <translation>Stream</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="134"/>
        <source>Owner</source>
        <translation>Besitzer</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="136"/>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="138"/>
        <source>Mode</source>
        <translation>Modus</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="140"/>
        <source>Requested</source>
        <translation>Angefordert</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="142"/>
        <source>Achieved</source>
        <translation>Erreicht</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="144"/>
        <source>Frames sent</source>
        <translation>Frames gesendet</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="146"/>
        <source>Dropped</source>
        <translation>Verworfen</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="148"/>
        <source>p50</source>
        <translation>p50</translation>
    </message>
    <message>
        <location filename="../gui/streamtablemodel.cpp" line="150"/>
        <source>p95</source>
        <translation>p95</translation>
    </message>
</context>
</TS>

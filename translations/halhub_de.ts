<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>halhub::ChannelTableModel</name>
    <message>
        <source>%1 %2</source>
        <translation>%1 %2</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Wert</translation>
    </message>
    <message>
        <source>Min (window)</source>
        <translation>Min. (Fenster)</translation>
    </message>
    <message>
        <source>Max (window)</source>
        <translation>Max. (Fenster)</translation>
    </message>
</context>
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
    <name>halhub::ClusterView</name>
    <message>
        <location filename="../gui/clusterview.cpp"/>
        <source>Node</source>
        <translation>Knoten</translation>
    </message>
    <message>
        <location filename="../gui/clusterview.cpp"/>
        <source>State</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <location filename="../gui/clusterview.cpp"/>
        <source>Redis: disconnected</source>
        <translation>Redis: getrennt</translation>
    </message>
    <message>
        <location filename="../gui/clusterview.cpp"/>
        <source>Redis: disconnected (%1)</source>
        <translation>Redis: getrennt (%1)</translation>
    </message>
    <message>
        <location filename="../gui/clusterview.cpp"/>
        <source>Redis: connected</source>
        <translation>Redis: verbunden</translation>
    </message>
    <message>
        <location filename="../gui/clusterview.cpp"/>
        <source>Redis: connected, round trip %1 ms</source>
        <translation>Redis: verbunden, Umlaufzeit %1 ms</translation>
    </message>
    <message>
        <location filename="../gui/clusterview.cpp"/>
        <source>%1 (this node)</source>
        <translation>%1 (dieser Knoten)</translation>
    </message>
    <message>
        <location filename="../gui/clusterview.cpp"/>
        <source>alive</source>
        <translation>aktiv</translation>
    </message>
    <message>
        <location filename="../gui/clusterview.cpp"/>
        <source>gone</source>
        <translation>weg</translation>
    </message>
</context>
<context>
    <name>halhub::CommandPanel</name>
    <message>
        <location filename="../gui/commandpanel.cpp" line="60"/>
        <source> (JSON)</source>
        <translation> (JSON)</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="81"/>
        <source>&amp;Device:</source>
        <translation>&amp;Gerät:</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="82"/>
        <source>C&amp;ommand:</source>
        <translation>Bef&amp;ehl:</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="98"/>
        <source> ms</source>
        <translation> ms</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="99"/>
        <source>Time the device has for each attempt</source>
        <translation>Zeit, die das Gerät für jeden Versuch hat</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="100"/>
        <source>&amp;Timeout:</source>
        <translation>&amp;Zeitlimit:</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="102"/>
        <source>&amp;Send</source>
        <translation>&amp;Senden</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="118"/>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="118"/>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="118"/>
        <source>Command</source>
        <translation>Befehl</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="118"/>
        <source>Params</source>
        <translation>Parameter</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="119"/>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="119"/>
        <source>Result</source>
        <translation>Ergebnis</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="240"/>
        <source>{&quot;args&quot;: [1, 2]} (JSON object, optional)</source>
        <translation>{&quot;args&quot;: [1, 2]} (JSON-Objekt, optional)</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="241"/>
        <source>Params:</source>
        <translation>Parameter:</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="250"/>
        <source>(choose)</source>
        <translation>(auswählen)</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="250"/>
        <source>(not sent)</source>
        <translation>(nicht senden)</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="266"/>
        <source>%1 *:</source>
        <translation>%1 *:</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="266"/>
        <source>%1:</source>
        <translation>%1:</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="302"/>
        <source>Params must be a JSON object, such as {&quot;args&quot;: [1]}.</source>
        <translation>Die Parameter müssen ein JSON-Objekt sein, etwa {&quot;args&quot;: [1]}.</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="341"/>
        <source>%1: &quot;%2&quot; is not a %3.</source>
        <translation>%1: „%2“ ist kein gültiger Wert (%3).</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="399"/>
        <source>choose a device and a command</source>
        <translation>Gerät und Befehl auswählen</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="421"/>
        <source>refused</source>
        <translation>abgelehnt</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="422"/>
        <source>%1 refused: %2</source>
        <translation>%1 abgelehnt: %2</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="427"/>
        <source>queued</source>
        <translation>eingereiht</translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="428"/>
        <source>%1 accepted by %2 (%3)</source>
        <translation>%1 von %2 angenommen (%3)</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/commandpanel.cpp" line="456"/>
        <source> (%1 ms, %n attempt(s))</source>
        <translation>
            <numerusform> (%1 ms, %n Versuch)</numerusform>
            <numerusform> (%1 ms, %n Versuche)</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/commandpanel.cpp" line="459"/>
        <source>%1 on %2: %3</source>
        <translation>%1 an %2: %3</translation>
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
        <translation>Native Rate</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp" line="153"/>
        <source>Last error</source>
        <translation>Letzter Fehler</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../gui/devicetablemodel.cpp"/>
        <source>Node</source>
        <translation>Knoten</translation>
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
        <location filename="../gui/eventlogmodel.cpp" line="133"/>
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
        <location filename="../gui/eventlogmodel.cpp" line="142"/>
        <source>%1 (%n times)</source>
        <translation>
            <numerusform>%1 (%n-mal)</numerusform>
            <numerusform>%1 (%n-mal)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/eventlogmodel.cpp" line="145"/>
        <source>%n frame(s) dropped</source>
        <translation>
            <numerusform>%n Frame verworfen</numerusform>
            <numerusform>%n Frames verworfen</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="194"/>
        <source>%1 / %2</source>
        <translation>%1 / %2</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="212"/>
        <source>Time</source>
        <translation>Zeit</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="214"/>
        <source>Severity</source>
        <translation>Schwere</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="216"/>
        <source>Source</source>
        <translation>Quelle</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="218"/>
        <source>Event</source>
        <translation>Ereignis</translation>
    </message>
    <message>
        <location filename="../gui/eventlogmodel.cpp" line="220"/>
        <source>Details</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>Command</source>
        <translation>Befehl</translation>
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
        <location filename="../gui/liveplot.cpp" line="574"/>
        <location filename="../gui/liveplot.cpp" line="665"/>
        <source>%1 [%2]</source>
        <translation>%1 [%2]</translation>
    </message>
    <message>
        <location filename="../gui/liveplot.cpp" line="652"/>
        <source>Select a device to plot its channels</source>
        <translation>Wählen Sie ein Gerät, um seine Kanäle zu zeichnen</translation>
    </message>
    <message>
        <location filename="../gui/liveplot.cpp" line="688"/>
        <source>now</source>
        <translation>jetzt</translation>
    </message>
    <message>
        <location filename="../gui/liveplot.cpp" line="688"/>
        <source>−%1 s</source>
        <translation>−%1 s</translation>
    </message>
    <message>
        <location filename="../gui/liveplot.cpp" line="700"/>
        <source>Waiting for samples from %1…</source>
        <translation>Warte auf Messwerte von %1…</translation>
    </message>
</context>
<context>
    <name>halhub::MainWindow</name>
    <message>
        <location filename="../gui/mainwindow.cpp" line="400"/>
        <source>Recordings</source>
        <translation>Aufnahmen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="464"/>
        <source>NO AUTHENTICATION: anyone who can reach this port can command the instruments (--insecure)</source>
        <translation>KEINE AUTHENTIFIZIERUNG: Jeder, der diesen Port erreicht, kann die Instrumente steuern (--insecure)</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="670"/>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/mainwindow.cpp" line="63"/>
        <source>%n day(s) %1</source>
        <translation>
            <numerusform>%n Tag %1</numerusform>
            <numerusform>%n Tage %1</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="72"/>
        <source>halhub monitor</source>
        <translation>halhub-Monitor</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="101"/>
        <source>halhub monitor – %1</source>
        <translation>halhub-Monitor – %1</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="140"/>
        <source>Show in &amp;plot</source>
        <translation>Im &amp;Diagramm zeigen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="142"/>
        <source>Plot the selected device&apos;s channels</source>
        <translation>Die Kanäle des gewählten Geräts zeichnen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="147"/>
        <source>&amp;Unplug test</source>
        <translation>&amp;Trennen testen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="150"/>
        <source>Make the selected simulated device go away for a second and come back</source>
        <translation>Das gewählte simulierte Gerät für eine Sekunde verschwinden und wiederkommen lassen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="154"/>
        <source>&amp;Reconnect</source>
        <translation>&amp;Neu verbinden</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="156"/>
        <source>Ask the selected device to reconnect (devices that offer it)</source>
        <translation>Das gewählte Gerät neu verbinden lassen (sofern es das anbietet)</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="161"/>
        <source>&amp;Disconnect</source>
        <translation>&amp;Trennen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="163"/>
        <source>Close the selected client&apos;s connection</source>
        <translation>Die Verbindung des gewählten Clients schließen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="170"/>
        <source>&amp;Export events…</source>
        <translation>Ereignisse &amp;exportieren…</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="172"/>
        <source>Save the events shown to a CSV or JSON lines file</source>
        <translation>Die angezeigten Ereignisse als CSV- oder JSON-Lines-Datei speichern</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="176"/>
        <source>C&amp;lear events</source>
        <translation>Ereignisse &amp;leeren</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="181"/>
        <source>&amp;Reset layout</source>
        <translation>Anordnung &amp;zurücksetzen</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="185"/>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="190"/>
        <source>&amp;About halhub</source>
        <translation>Ü&amp;ber halhub</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="193"/>
        <source>About halhub</source>
        <translation>Über halhub</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="194"/>
        <source>&lt;b&gt;halhub %1&lt;/b&gt;&lt;p&gt;Serves lab instruments to WebSocket clients.&lt;/p&gt;&lt;p&gt;This window monitors devices, clients, streams and latency.&lt;/p&gt;</source>
        <translation>&lt;b&gt;halhub %1&lt;/b&gt;&lt;p&gt;Stellt Laborgeräte für WebSocket-Clients bereit.&lt;/p&gt;&lt;p&gt;Dieses Fenster überwacht Geräte, Clients, Streams und Latenz.&lt;/p&gt;</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="208"/>
        <source>Devi&amp;ce:</source>
        <translation>&amp;Gerät:</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="213"/>
        <source>&amp;Window:</source>
        <translation>&amp;Zeitfenster:</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/mainwindow.cpp" line="217"/>
        <source>%n second(s)</source>
        <translation>
            <numerusform>%n Sekunde</numerusform>
            <numerusform>%n Sekunden</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="219"/>
        <source>Click a channel&apos;s name to hide or show it.</source>
        <translation>Klick auf einen Kanalnamen blendet ihn aus oder ein.</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="309"/>
        <source>Devices</source>
        <translation>Geräte</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="323"/>
        <source>Clients</source>
        <translation>Clients</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="334"/>
        <source>Streams</source>
        <translation>Streams</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="343"/>
        <source>&amp;Markers for:</source>
        <translation>&amp;Markierungen für:</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="346"/>
        <source>All streams</source>
        <translation>Alle Streams</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="353"/>
        <source>Time from a device sample to the socket write of its frame, live frames of the last minute</source>
        <translation>Zeit vom Messwert des Geräts bis zum Schreiben seines Frames in den Socket, Live-Frames der letzten Minute</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="357"/>
        <source>Latency</source>
        <translation>Latenz</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="371"/>
        <source>Filter events…</source>
        <translation>Ereignisse filtern…</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="386"/>
        <source>Events</source>
        <translation>Ereignisse</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="394"/>
        <source>Commands</source>
        <translation>Befehle</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="431"/>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="436"/>
        <source>&amp;Devices</source>
        <translation>&amp;Geräte</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="441"/>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="447"/>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="458"/>
        <source>Listening here; click to copy the address</source>
        <translation>Hier wird gelauscht; Klick kopiert die Adresse</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="459"/>
        <source>not listening</source>
        <translation>lauscht nicht</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="576"/>
        <source>%1 – %2</source>
        <translation>%1 – %2</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="606"/>
        <source>Stream %1 (%2)</source>
        <translation>Stream %1 (%2)</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="620"/>
        <source>%1 refused: %2</source>
        <translation>%1 abgelehnt: %2</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="626"/>
        <source>Sent %1 to %2</source>
        <translation>%1 an %2 gesendet</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="648"/>
        <source>%1: ok after %2 ms</source>
        <translation>%1: ok nach %2 ms</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="649"/>
        <source>%1: %2 (%3)</source>
        <translation>%1: %2 (%3)</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="712"/>
        <source>%1 at %2 Hz</source>
        <translation>%1 mit %2 Hz</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/mainwindow.cpp" line="724"/>
        <source>%n frame(s) sent</source>
        <translation>
            <numerusform>%n Frame gesendet</numerusform>
            <numerusform>%n Frames gesendet</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="768"/>
        <source>p50</source>
        <translation>p50</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="770"/>
        <source>p95</source>
        <translation>p95</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="771"/>
        <source>Stream %1 (%2): percentiles of its last 256 frames</source>
        <translation>Stream %1 (%2): Perzentile seiner letzten 256 Frames</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/mainwindow.cpp" line="782"/>
        <source>%n client(s)</source>
        <translation>
            <numerusform>%n Client</numerusform>
            <numerusform>%n Clients</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="794"/>
        <source>%1 msg/s</source>
        <translation>%1 Nachr./s</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="795"/>
        <source>up %1</source>
        <translation>läuft seit %1</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="803"/>
        <source>Copied %1</source>
        <translation>%1 kopiert</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="814"/>
        <source>No events to export</source>
        <translation>Keine Ereignisse zum Exportieren</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="819"/>
        <source>Could not write %1: %2</source>
        <translation>%1 konnte nicht geschrieben werden: %2</translation>
    </message>
    <message numerus="yes">
        <location filename="../gui/mainwindow.cpp" line="822"/>
        <source>%n event(s) written to %1</source>
        <translation>
            <numerusform>%n Ereignis in %1 geschrieben</numerusform>
            <numerusform>%n Ereignisse in %1 geschrieben</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="831"/>
        <source>Export events</source>
        <translation>Ereignisse exportieren</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp" line="834"/>
        <source>CSV (*.csv);;JSON lines (*.jsonl)</source>
        <translation>CSV (*.csv);;JSON Lines (*.jsonl)</translation>
    </message>
    <message>
        <location filename="../gui/mainwindow.cpp"/>
        <source>Cluster</source>
        <translation>Cluster</translation>
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
        <translation>nativ</translation>
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
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
</context>
<context>
    <name>halhub::RecordingsDock</name>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="35"/>
        <source>Record</source>
        <translation>Aufnehmen</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="37"/>
        <source>Record every sample of every device to a new file</source>
        <translation>Jeden Messwert jedes Geräts in eine neue Datei aufnehmen</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="38"/>
        <source>Stop</source>
        <translation>Stopp</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="40"/>
        <source>Stop the selected recording</source>
        <translation>Die gewählte Aufnahme beenden</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="41"/>
        <source>Open folder</source>
        <translation>Ordner öffnen</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="42"/>
        <source>Show the recording folder in the file manager</source>
        <translation>Den Aufnahmeordner im Dateimanager zeigen</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="49"/>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="49"/>
        <source>State</source>
        <translation>Zustand</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="49"/>
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="49"/>
        <source>Duration</source>
        <translation>Dauer</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="50"/>
        <source>Devices</source>
        <translation>Geräte</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="50"/>
        <source>Lost</source>
        <translation>Verloren</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="80"/>
        <source>Recording %1 stopped writing: %2</source>
        <translation>Aufnahme %1 schreibt nicht mehr: %2</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="86"/>
        <source>Recording %1: samples lost: %2 (the disk does not keep up)</source>
        <translation>Aufnahme %1: verlorene Messwerte: %2 (der Datenträger kommt nicht mit)</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="112"/>
        <source>recording</source>
        <translation>nimmt auf</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="112"/>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="113"/>
        <source>finished</source>
        <translation>beendet</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="113"/>
        <source>cut short</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <location filename="../gui/recordingsdock.cpp" line="154"/>
        <source>Cannot record: %1</source>
        <translation>Aufnahme nicht möglich: %1</translation>
    </message>
</context>
</TS>

<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en">
<context>
    <name>halhub::EventLogModel</name>
    <message numerus="yes">
        <source>%1 (%n times)</source>
        <translation>
            <numerusform>%1 (once)</numerusform><numerusform>%1 (%n times)</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n frame(s) dropped</source>
        <translation>
            <numerusform>%n frame dropped</numerusform><numerusform>%n frames dropped</numerusform></translation>
    </message>
</context>
<context>
    <name>halhub::LatencyHistogramView</name>
    <message numerus="yes">
        <source>%n frame(s) in the last minute · avg %1 · max %2</source>
        <translation>
            <numerusform>%n frame in the last minute · avg %1 · max %2</numerusform><numerusform>%n frames in the last minute · avg %1 · max %2</numerusform></translation>
    </message>
</context>
<context>
    <name>halhub::MainWindow</name>
    <message numerus="yes">
        <source>%n day(s) %1</source>
        <translation>
            <numerusform>%n day %1</numerusform><numerusform>%n days %1</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n second(s)</source>
        <translation>
            <numerusform>%n second</numerusform><numerusform>%n seconds</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n frame(s) sent</source>
        <translation>
            <numerusform>%n frame sent</numerusform><numerusform>%n frames sent</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n client(s)</source>
        <translation>
            <numerusform>%n client</numerusform><numerusform>%n clients</numerusform></translation>
    </message>
    <message numerus="yes">
        <source>%n event(s) written to %1</source>
        <translation>
            <numerusform>%n event written to %1</numerusform><numerusform>%n events written to %1</numerusform></translation>
    </message>
</context>
</TS>
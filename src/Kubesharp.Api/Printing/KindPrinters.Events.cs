using System.Text.Json;
using Kubesharp.Api.Resources;

namespace Kubesharp.Api.Printing;

// Upstream serves core/v1 and events.k8s.io/v1 events from one storage and prints both from the internal
// type, so both versions share one column set; each version's field names are read into one view first.
internal static partial class KindPrinters
{
    private static readonly PrinterColumn[] EventColumns =
    [
        Col.Str("Last Seen", "Time since the event was last observed."),
        Col.Str("Type", "Normal or Warning."),
        Col.Str("Reason", "Why the event happened, in CamelCase."),
        Col.Str("Object", "The object the event is about, as kind/name."),
        Col.Wide("Subobject", "The field path of the part of the object the event is about."),
        Col.Wide("Source", "The component (and host) that reported the event."),
        Col.Str("Message", "What happened, for humans."),
        Col.Wide("First Seen", "Time since the event was first observed."),
        Col.Wide("Count", "How many times the event was observed."),
        new("Name", "string", "name", "Name of the event.", 1),
    ];

    private static KindPrinter CoreEvent() => new("", "Event", EventColumns, (o, now) => EventCells(new EventView(
        o,
        Regarding: o.At("involvedObject") ?? default,
        Source: o.At("source") ?? default,
        Message: o.Str("message"),
        FirstTimestamp: o.Time("firstTimestamp"),
        LastTimestamp: o.Time("lastTimestamp"),
        Count: o.Int("count"),
        ReportingController: o.Str("reportingComponent")), now));

    private static KindPrinter EventsEvent() => new("events.k8s.io", "Event", EventColumns, (o, now) => EventCells(new EventView(
        o,
        Regarding: o.At("regarding") ?? default,
        Source: o.At("deprecatedSource") ?? default,
        Message: o.Str("note"),
        FirstTimestamp: o.Time("deprecatedFirstTimestamp"),
        LastTimestamp: o.Time("deprecatedLastTimestamp"),
        Count: o.Int("deprecatedCount"),
        ReportingController: o.Str("reportingController")), now));

    private static object[] EventCells(EventView e, DateTimeOffset now)
    {
        // Events written through events.k8s.io have no firstTimestamp and no count: eventTime and
        // series stand in for them.
        var first = e.FirstTimestamp is { } f ? CellFormat.Since(f, now) : CellFormat.Since(e.Event.Time("eventTime"), now);
        var last = e.LastTimestamp is { } l ? CellFormat.Since(l, now) : first;
        var count = e.Count;
        if (e.Event.Obj("series") is { } series)
        {
            last = CellFormat.Since(series.Time("lastObservedTime"), now);
            count = series.Int("count");
        }
        else if (count == 0)
        {
            count = 1;
        }

        var kind = e.Regarding.Str("kind").ToLowerInvariant();
        var name = e.Regarding.Str("name");
        var component = FirstNonEmpty(e.Source.Str("component"), e.ReportingController);
        var instance = FirstNonEmpty(e.Source.Str("host"), e.Event.Str("reportingInstance"));

        return
        [
            last,
            e.Event.Str("type"),
            e.Event.Str("reason"),
            name.Length > 0 ? $"{kind}/{name}" : kind,
            e.Regarding.Str("fieldPath"),
            instance.Length > 0 ? $"{component}, {instance}" : component,
            e.Message.Trim(),
            first,
            count,
            CellFormat.Name(e.Event),
        ];
    }

    private static string FirstNonEmpty(string a, string b) => a.Length > 0 ? a : b;

    /// <summary>One event's fields under their internal names, whichever API version stored it.</summary>
    private sealed record EventView(
        JsonElement Event,
        JsonElement Regarding,
        JsonElement Source,
        string Message,
        DateTimeOffset? FirstTimestamp,
        DateTimeOffset? LastTimestamp,
        long Count,
        string ReportingController);
}

using System.Text.Encodings.Web;
using System.Text.Json;
using Kubesharp.Api.Printing;
using Kubesharp.Api.Resources;

namespace Kubesharp.Api.Tests.Printing;

/// <summary>
/// Runs a printer on JSON text and renders its cells as a JSON array, so that a golden case states
/// both the values and their JSON types (<c>"0"</c> is a string cell, <c>0</c> an integer one).
/// Objects in the cases are created at <see cref="Created"/>, five minutes before <see cref="Now"/>.
/// </summary>
internal static class Golden
{
    public static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public const string Created = "2025-06-01T11:55:00Z";

    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ResourceInfo Resource(string group, string kind) =>
        BuiltinResources.Table.FindKind(group, kind) ?? throw new InvalidOperationException($"no built-in kind {group}/{kind}");

    /// <summary>Asserts that <paramref name="json"/> prints as <paramref name="expected"/>, naming the case on failure.</summary>
    public static void Assert(string name, string group, string kind, string json, string expected)
    {
        var actual = Cells(group, kind, json);
        Xunit.Assert.True(expected == actual, $"{name}:\n expected {expected}\n   actual {actual}");
    }

    public static string Cells(string group, string kind, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var resource = Resource(group, kind);
        var cells = TablePrinter.Cells(resource, doc.RootElement, Now);
        Xunit.Assert.Equal(TablePrinter.Columns(resource).Count, cells.Count);
        return JsonSerializer.Serialize(cells, Options);
    }
}

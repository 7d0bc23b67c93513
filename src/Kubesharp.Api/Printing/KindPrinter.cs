using System.Text.Json;
using Kubesharp.Api.Resources;

namespace Kubesharp.Api.Printing;

/// <summary>
/// The Table columns of one kind and the function that computes one object's cells. The cell function
/// returns exactly one cell per column, each a <see cref="string"/>, <see cref="long"/> or <see cref="bool"/>.
/// </summary>
internal sealed record KindPrinter(string Group, string Kind, IReadOnlyList<PrinterColumn> Columns, Func<JsonElement, DateTimeOffset, object[]> Cells);

/// <summary>The columns many kinds share. Descriptions are ours, shorter than upstream's field docs.</summary>
internal static class Col
{
    public static readonly PrinterColumn Name = new("Name", "string", "name", "Name of the object, unique within its namespace or the cluster.", 0);
    public static readonly PrinterColumn Age = new("Age", "string", "", "Time since the object was created (metadata.creationTimestamp).", 0);
    public static readonly PrinterColumn Containers = Wide("Containers", "Names of the containers in the pod template.");
    public static readonly PrinterColumn Images = Wide("Images", "Images of the containers in the pod template.");

    public static PrinterColumn Str(string name, string description) => new(name, "string", "", description, 0);

    public static PrinterColumn Integer(string name, string description) => new(name, "integer", "", description, 0);

    public static PrinterColumn Boolean(string name, string description) => new(name, "boolean", "", description, 0);

    /// <summary>A string column shown only with <c>-o wide</c>.</summary>
    public static PrinterColumn Wide(string name, string description) => new(name, "string", "", description, 1);
}

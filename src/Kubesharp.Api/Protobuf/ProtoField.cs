using System.Text.Json;

namespace Kubesharp.Api.Protobuf;

/// <summary>The protobuf type of a field, or of the items of a repeated field, or of the values of a map.</summary>
internal enum ProtoType
{
    String,
    Bool,
    Int32,
    Int64,
    UInt32,
    UInt64,
    Double,
    Float,
    Bytes,
    Message,
}

/// <summary>How often a field occurs: once, a list (<c>repeated</c>), or a <c>map&lt;string, T&gt;</c>.</summary>
internal enum ProtoCardinality
{
    Single,
    Repeated,
    Map,
}

/// <summary>
/// One field of a message in the schema table: its protobuf number and type, its JSON name, and the two Go
/// facts that decide how Go's <c>encoding/json</c> writes its empty value: whether the Go field is a
/// pointer (then presence on the wire means "set", even to zero) and whether it is tagged <c>omitempty</c>.
/// Immutable once the schema is loaded.
/// </summary>
internal sealed class ProtoField(int number, string name, ProtoCardinality cardinality, ProtoType type, string? messageName, bool pointer, bool omitEmpty)
{
    public int Number { get; } = number;

    /// <summary>The JSON name; for special messages, which have no JSON facts, the protobuf name.</summary>
    public string Name { get; } = name;

    public JsonEncodedText JsonName { get; } = JsonEncodedText.Encode(name);

    /// <summary>An embedded Go struct (<c>json:",inline"</c>): its fields are written into the enclosing object.</summary>
    public bool Inline { get; } = name == "~";

    public ProtoCardinality Cardinality { get; } = cardinality;

    /// <summary>The type of the value, of each item, or of each map value.</summary>
    public ProtoType Type { get; } = type;

    public string? MessageName { get; } = messageName;

    /// <summary>The message type when <see cref="Type"/> is <see cref="ProtoType.Message"/>; set when the schema is linked.</summary>
    public ProtoMessage? Message { get; internal set; }

    public bool Pointer { get; } = pointer;

    public bool OmitEmpty { get; } = omitEmpty;

    public override string ToString() => $"{Number} {Name}";
}

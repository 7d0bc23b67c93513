namespace Kubesharp.Api.Protobuf;

/// <summary>
/// The bytes are not a well-formed message of the expected type (truncated, a wrong wire type, a value Go's
/// JSON encoder would refuse). Internal to the decoder: <see cref="KubernetesProtobuf"/> turns it into a 400.
/// </summary>
internal sealed class ProtobufFormatException : Exception
{
    public ProtobufFormatException()
    {
    }

    public ProtobufFormatException(string message)
        : base(message)
    {
    }

    public ProtobufFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

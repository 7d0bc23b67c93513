using Kubesharp.Images;

namespace Kubesharp.Tests.Images;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("127.0.0.1:5000/library/busybox:1.35", "127.0.0.1:5000", "library/busybox", "1.35")]
    [InlineData("localhost:5000/kubesharp/app:1", "localhost:5000", "kubesharp/app", "1")]
    [InlineData("localhost/app", "localhost", "app", "latest")]
    [InlineData("docker.io/library/busybox", "docker.io", "library/busybox", "latest")]
    [InlineData("registry.k8s.io/pause:3.10", "registry.k8s.io", "pause", "3.10")]
    [InlineData("127.0.0.1:5000/a/b/c-d_e.f:v1_2.3-x", "127.0.0.1:5000", "a/b/c-d_e.f", "v1_2.3-x")]
    public void Parses_a_fully_qualified_reference(string value, string registry, string repository, string tag)
    {
        var reference = ImageReference.Parse(value);

        Assert.Equal(new ImageReference(registry, repository, tag), reference);
        Assert.Equal($"{registry}/{repository}:{tag}", reference.FullName);
    }

    [Theory]
    [InlineData("busybox", "not fully qualified")]
    [InlineData("busybox:1.35", "not fully qualified")]
    [InlineData("library/busybox:1.35", "no registry host")]
    [InlineData("local/x:1", "no registry host")]
    [InlineData("127.0.0.1:5000/Library/busybox:1", "invalid repository")]
    [InlineData("127.0.0.1:5000//busybox:1", "invalid repository")]
    [InlineData("127.0.0.1:5000/busybox:", "invalid tag")]
    [InlineData("127.0.0.1:5000/busybox:-1", "invalid tag")]
    [InlineData("127.0.0.1:5000/busybox@sha256:0123", "digest")]
    public void Refuses_what_the_cri_would_not_find(string value, string reason)
    {
        var error = Assert.Throws<FormatException>(() => ImageReference.Parse(value));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}

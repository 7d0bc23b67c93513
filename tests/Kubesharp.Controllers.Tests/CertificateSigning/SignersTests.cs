using System.Net;
using Kubesharp.Controllers.CertificateSigning;

namespace Kubesharp.Controllers.Tests.CertificateSigning;

public sealed class SignersTests
{
    public static TheoryData<string, byte[], string[], string?> KubeletClientCases => new()
    {
        { "an ECDSA node client request", TestCsrs.Pem("system:node:n1", ["system:nodes"]), ["digital signature", "client auth"], null },
        { "an RSA node client request, with key encipherment", TestCsrs.Pem("system:node:n1", ["system:nodes"]), ["key encipherment", "digital signature", "client auth"], null },
        { "usages repeated", TestCsrs.Pem("system:node:n1", ["system:nodes"]), ["client auth", "client auth", "digital signature"], null },
        { "no organization", TestCsrs.Pem("system:node:n1", []), ["digital signature", "client auth"], "subject organization is not system:nodes" },
        { "another organization too", TestCsrs.Pem("system:node:n1", ["system:nodes", "system:masters"]), ["digital signature", "client auth"], "subject organization is not system:nodes" },
        { "a DNS name", TestCsrs.Pem("system:node:n1", ["system:nodes"], alternativeNames: b => b.AddDnsName("n1")), ["digital signature", "client auth"], "DNS subjectAltNames are not allowed" },
        { "an email address", TestCsrs.Pem("system:node:n1", ["system:nodes"], alternativeNames: b => b.AddEmailAddress("n1@example.com")), ["digital signature", "client auth"], "Email subjectAltNames are not allowed" },
        { "an IP address", TestCsrs.Pem("system:node:n1", ["system:nodes"], alternativeNames: b => b.AddIpAddress(IPAddress.Loopback)), ["digital signature", "client auth"], "IP subjectAltNames are not allowed" },
        { "a URI", TestCsrs.Pem("system:node:n1", ["system:nodes"], alternativeNames: b => b.AddUri(new Uri("spiffe://cluster/n1"))), ["digital signature", "client auth"], "URI subjectAltNames are not allowed" },
        { "a common name that is not a node's", TestCsrs.Pem("n1", ["system:nodes"]), ["digital signature", "client auth"], "subject common name does not begin with system:node:" },
        { "server auth too", TestCsrs.Pem("system:node:n1", ["system:nodes"]), ["digital signature", "client auth", "server auth"], "usages did not match [client auth digital signature key encipherment]" },
        { "no digital signature", TestCsrs.Pem("system:node:n1", ["system:nodes"]), ["client auth"], "usages did not match [client auth digital signature key encipherment]" },
    };

    [Theory]
    [MemberData(nameof(KubeletClientCases))]
    public void Kubelet_client_requests_are_validated_as_upstream(string name, byte[] request, string[] usages, string? expected)
    {
        Assert.True(Signers.ValidateKubeletClient(TestCsrs.Parsed(request), usages) == expected, $"{name}: expected {expected ?? "valid"}, got {Signers.ValidateKubeletClient(TestCsrs.Parsed(request), usages) ?? "valid"}");
    }

    [Theory]
    [InlineData("client auth alone", "client auth", null)]
    [InlineData("with digital signature and key encipherment", "digital signature,key encipherment,client auth", null)]
    [InlineData("without client auth", "digital signature", "missing required usage for client certificate: client auth")]
    [InlineData("with server auth", "client auth,server auth", "invalid usage for client certificate: server auth")]
    public void Api_server_client_usages_are_validated_as_upstream(string name, string usages, string? expected)
    {
        Assert.True(Signers.ValidateApiServerClientUsages(usages.Split(',')) == expected, $"{name}: expected {expected ?? "valid"}, got {Signers.ValidateApiServerClientUsages(usages.Split(',')) ?? "valid"}");
    }
}

using System.Text.Json;
using AuthCluster.Grains.Customers;
using AuthCluster.Grains.Interfaces.Formats;
using AuthCluster.Grains.Interfaces.Hosting;
using AuthCluster.Silo.Storage;
using AuthCluster.Tests.Infrastructure;

namespace AuthCluster.Tests.Import;

/// <summary>
/// The import writes grain state without the grains: its row identities must be the ones Orleans' grain storage
/// computes, or imported customers would be invisible. Checked against rows the provider itself wrote.
/// </summary>
public sealed class GrainStateRowIdTests(SqliteApiFixture api) : IClassFixture<SqliteApiFixture>
{
    [Fact]
    public async Task RowIds_OfARegisteredCustomer_FindTheRowsItsGrainsWrote()
    {
        var email = TestApi.UniqueEmail("identity");
        var tokens = await api.Factory.ClientFor().RegisteredAsync(email);
        var customerId = Guid.Parse(JsonDocument.Parse(Base64Url(tokens.AccessToken.Split('.')[1])).RootElement.GetProperty("sub").GetString()!);
        var storage = new StorageSettings { Provider = "Sqlite", ConnectionString = api.Factory.Settings["Storage:ConnectionString"]! };
        await using var store = await GrainStateStore.OpenAsync(storage, "authcluster", CancellationToken.None);

        var customer = await store.ReadAsync(GrainStateRowId.ForGuid(CustomerState.StateName, customerId), CancellationToken.None);
        var index = await store.ReadAsync(GrainStateRowId.ForString(EmailIndexState.StateName, EmailAddress.IndexKey(AuthApiFactory.ShopA, email)), CancellationToken.None);

        Assert.Equal(email, GrainStatePayload.Deserialize<CustomerState>(customer!.Payload!).Email);
        Assert.Equal(customerId, GrainStatePayload.Deserialize<EmailIndexState>(index!.Payload!).CustomerId);
        Assert.Equal(1, index.Version);
    }

    [Fact]
    public void GuidOf_RowOfAGuid_IsThatGuid()
    {
        var id = Guid.NewGuid();
        var row = GrainStateRowId.ForGuid(CustomerState.StateName, id);

        Assert.Equal(id, GrainStateRowId.GuidOf(row.N0, row.N1));
    }

    private static byte[] Base64Url(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(base64 + new string('=', (4 - (base64.Length % 4)) % 4));
    }
}

using AuthCluster.Api.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddAuthApi();

var app = builder.Build();
app.MapAuthEndpoints();
app.Run();

/// <summary>Entry point; public so that tests can host the API with WebApplicationFactory.</summary>
public partial class Program;

using FashionFunctions.Core.Native;
using FashionFunctions.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Fail at start-up, with the reason, rather than on the first request.
TorchRuntime.EnsureAvailable();

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services
    .AddApplicationInsightsTelemetryWorkerService()
    .ConfigureFunctionsApplicationInsights();
builder.Services.AddFashionFunctions(builder.Configuration);
builder.Build().Run();

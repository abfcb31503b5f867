using FashionFunctions.Core.Native;
using FashionFunctions.Functions.Hosting;
using FashionFunctions.Functions.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Fail at start-up, with the reason, rather than on the first request.
TorchRuntime.EnsureAvailable();

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<ErrorMappingMiddleware>(); // inside the ASP.NET Core integration: it executes the problem result
builder.Services
    .AddApplicationInsightsTelemetryWorkerService()
    .ConfigureFunctionsApplicationInsights();
builder.Services.AddFashionFunctions(builder.Configuration);
builder.Build().Run();

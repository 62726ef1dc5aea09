import Foundation
public import Hummingbird
import HummingbirdCore
import NIOCore
import ICal
public import Logging
public import PlanCore
import PlanAPI
import PlanFeed

/// Builds the whole server from its arguments and repositories: `plancal serve` and the tests
/// both call this (tests with repositories in memory).
///
/// With `arguments.pipelineFastPath` (the default), cached feeds are answered inside the
/// channel pipeline (`FeedFastPath`), before any task is made, and that handler keeps the
/// connections' idle timeout (Hummingbird's never sees the requests it answers). Without it,
/// every request goes through the router, and Hummingbird's own idle timeout applies.
public func buildApplication(_ arguments: ServerArguments, repositories: Repositories,
                             logger: Logger) async throws -> some ApplicationProtocol {
    let services = try await buildServices(arguments, repositories: repositories, logger: logger)
    let router = buildRouter(services)
    let cache = services.registry.cache, fetches = services.fetches
    let idle = TimeAmount.seconds(Int64(arguments.idleTimeoutSeconds))
    var fastPath: (@Sendable () -> FeedFastPath)?
    if arguments.pipelineFastPath {
        fastPath = { FeedFastPath(cache: cache, fetches: fetches, idleTimeout: idle) }
    }
    let makeFastPath = fastPath
    return Application(
        responder: HeadResponder(inner: router.buildResponder()),
        server: HTTPServerBuilder { responder in
            // With the fast path, the idle timeout is its own (Hummingbird's handler does not see
            // the requests it answers); without, Hummingbird's.
            PlanHTTP1Channel(inner: HTTP1Channel(responder: responder,
                                                 configuration: .init(idleTimeout: makeFastPath == nil ? idle : nil)),
                             fastPath: makeFastPath)
        },
        configuration: .init(address: .hostname(arguments.host, port: arguments.port), serverName: "plancal",
                             availableConnectionsDelegate: MaximumAvailableConnections(arguments.maxConnections, logger: logger)),
        logger: logger)
}

/// The router with every controller's routes; separate so route tests can use it directly.
public func buildRouter(_ arguments: ServerArguments, repositories: Repositories,
                        logger: Logger) async throws -> Router<AppRequestContext> {
    buildRouter(try await buildServices(arguments, repositories: repositories, logger: logger))
}

/// The plans, repositories and views every controller shares.
func buildServices(_ arguments: ServerArguments, repositories: Repositories, logger: Logger) async throws -> ServerServices {
    let registry = try await PlanRegistry(paths: arguments.planPaths, plansDir: arguments.plansDir,
                                          completions: repositories.completions, logger: logger,
                                          cacheBytes: arguments.feedCacheBytes)
    let views = try await Views()
    let services = ServerServices(arguments: arguments, registry: registry, repositories: repositories,
                                  fetches: FetchRecorder(log: repositories.fetches, logger: logger),
                                  views: views, logger: logger)
    // Below a plans folder the plans load in the background: check their links once they have.
    Task {
        do { try await warnAboutLinks(services) } catch {
            logger.warning("could not check the plans' links", metadata: ["error": "\(error)"])
        }
    }
    return services
}

func buildRouter(_ services: ServerServices) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    // Not Hummingbird's LogRequestsMiddleware: it logs a sign-in link's access code.
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: ErrorMiddleware(views: services.views, logger: services.logger))
    router.get("/health") { _, _ in "ok" }
    // For a load balancer: 503 until every plan file found has been read (a plans folder loads
    // in the background while the server already answers).
    router.get("/ready") { _, _ -> Response in
        let readiness = await services.registry.readiness()
        var response = try APIController.json(readiness, status: readiness.ready ? .ok : .serviceUnavailable)
        response.headers[.cacheControl] = "no-store"
        if !readiness.ready { response.headers[.retryAfter] = "1" }
        return response
    }
    FeedController(services: services).addRoutes(to: router.group("calendars"))
    APIController(services: services).addRoutes(to: router.group("api"))
    DashboardController(services: services).addRoutes(to: router)
    RecordController(services: services).addRoutes(to: router)
    IndicatorController(services: services).addRoutes(to: router)
    AdminController(services: services).addRoutes(to: router)
    CalDAVController(services: services).addRoutes(to: router)
    return router
}

/// Feeds carry the plan's own `public_base_url` (so `generate` and `serve` give the same
/// bytes): say once when that is not where people will reach them.
private func warnAboutLinks(_ services: ServerServices) async throws {
    for id in try await services.registry.planIDs() {
        guard let plan = try await services.registry.current(id)?.plan else { continue }
        if let base = services.arguments.baseURL, let planBase = plan.publicBaseURL,
           URL(string: planBase)?.host != URL(string: base)?.host {
            services.logger.warning("--base-url differs from the plan's public_base_url: links inside the feeds still point to the plan's address; set public_base_url in the plan file",
                                    metadata: ["plan": "\(plan.id)", "public_base_url": "\(planBase)", "base_url": "\(base)"])
        } else if let planBase = plan.publicBaseURL, plan.publicBaseIsExample {
            services.logger.warning("the plan's public_base_url is an example address: links inside the feeds and the subscribe buttons point to it; set the real address in the plan file",
                                    metadata: ["plan": "\(plan.id)", "public_base_url": "\(planBase)"])
        }
    }
}

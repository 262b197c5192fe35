/**
 * GENERATED FILE - DO NOT EDIT.
 *
 * Produced by `npm run gen` (node scripts/gen-types.js) with openapi-typescript
 * from sdk/openapi/osb.yaml. Edit the YAML and run `npm run gen` again;
 * `node scripts/gen-types.js --check` verifies this file is up to date.
 */

export interface paths {
    "/v2/catalog": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read the broker's catalog
         * @description Returns every Service Offering (with its Service Plans) the broker offers. Platforms may re-read it at any time; offering and plan `id`s are the only stable keys across reads. Conditional requests (ETag / If-Modified-Since, RFC 7232) are optional for both sides.
         */
        get: operations["getCatalog"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/service_instances/{instance_id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
            };
            cookie?: never;
        };
        /**
         * Fetch a Service Instance
         * @description Reads back a provisioned instance. Only available when the offering declares `instances_retrievable: true`; Platforms must not call it otherwise.
         */
        get: operations["fetchInstance"];
        /**
         * Provision a Service Instance
         * @description Creates the resource behind a new Service Instance. The instance id is chosen by the Platform, is globally unique and is used by every later request about this instance.
         */
        put: operations["provisionInstance"];
        post?: never;
        /**
         * Deprovision a Service Instance
         * @description Deletes everything the broker created for the instance. Platforms remove all bindings of the instance before calling this.
         */
        delete: operations["deprovisionInstance"];
        options?: never;
        head?: never;
        /**
         * Update a Service Instance
         * @description Changes the plan, the parameters, the maintenance version or only the context of an existing instance. Plan changes need `plan_updateable`, context-only updates need `allow_context_updates` in the catalog. A 4xx or 5xx answer means none of the requested changes were applied.
         */
        patch: operations["updateInstance"];
        trace?: never;
    };
    "/v2/service_instances/{instance_id}/last_operation": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
            };
            cookie?: never;
        };
        /**
         * Poll the last operation of a Service Instance
         * @description Reports the state of the asynchronous provision, update or deprovision that last answered 202. `succeeded` and `failed` end the polling.
         */
        get: operations["getInstanceLastOperation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/service_instances/{instance_id}/service_bindings/{binding_id}": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
                /** @description Service Binding id. On binding, a new globally unique non-empty string chosen by the Platform; on every other request, the id of an existing binding of the instance. */
                binding_id: components["parameters"]["BindingId"];
            };
            cookie?: never;
        };
        /**
         * Fetch a Service Binding
         * @description Reads back a created binding. Available when the offering declares `bindings_retrievable: true`.
         */
        get: operations["fetchBinding"];
        /**
         * Create (or rotate) a Service Binding
         * @description Creates a binding of an instance whose offering or plan is bindable. With `predecessor_binding_id` the request rotates an existing, unexpired binding (plan must be `binding_rotatable`); both bindings stay valid side by side.
         */
        put: operations["bindBinding"];
        post?: never;
        /**
         * Delete a Service Binding
         * @description Deletes everything the broker created for the binding (for example revokes its credentials).
         */
        delete: operations["unbindBinding"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v2/service_instances/{instance_id}/service_bindings/{binding_id}/last_operation": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
                /** @description Service Binding id. On binding, a new globally unique non-empty string chosen by the Platform; on every other request, the id of an existing binding of the instance. */
                binding_id: components["parameters"]["BindingId"];
            };
            cookie?: never;
        };
        /**
         * Poll the last operation of a Service Binding
         * @description Reports the state of the asynchronous bind or unbind that last answered 202. `succeeded` and `failed` end the polling.
         */
        get: operations["getBindingLastOperation"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @description Body of GET /v2/catalog. */
        Catalog: {
            /** @description Every Service Offering of the broker (may be empty). */
            services: components["schemas"]["ServiceOffering"][];
        } & {
            [key: string]: unknown;
        };
        /** @description A service the broker offers, with its plans. */
        ServiceOffering: {
            /** @description Unique among the broker's offerings; CLI-friendly names are recommended. Case-sensitive. */
            name: string;
            /** @description Globally unique, never changing id of the offering (a GUID is recommended). */
            id: string;
            /** @description Short description of the service. */
            description: string;
            /** @description Free classification keywords (e.g. mysql, relational, caching). */
            tags?: string[];
            /** @description Platform permissions the service needs when provisioned. */
            requires?: ("syslog_drain" | "route_forwarding" | "volume_mount")[];
            /** @description Whether instances can be bound; the default for every plan, which may override it. */
            bindable: boolean;
            /** @description Whether GET of a Service Instance is supported for all plans of the offering. */
            instances_retrievable?: boolean;
            /** @description Whether GET of a Service Binding is supported for all plans of the offering. */
            bindings_retrievable?: boolean;
            /** @description Whether the broker accepts updates that only carry changed context data. */
            allow_context_updates?: boolean;
            /** @description Opaque metadata, e.g. display conventions from the profile; treated as a blob by Platforms. */
            metadata?: {
                [key: string]: unknown;
            };
            dashboard_client?: components["schemas"]["DashboardClient"];
            /**
             * @description Whether instances may change plan, by default for all plans (the misspelling is part of the API). Plans may override it.
             * @default false
             */
            plan_updateable?: boolean;
            /** @description The plans of this offering; at least one. */
            plans: components["schemas"]["ServicePlan"][];
        } & {
            [key: string]: unknown;
        };
        /** @description A variant (tier) of a Service Offering. */
        ServicePlan: {
            /** @description Globally unique, never changing id of the plan (a GUID is recommended). */
            id: string;
            /** @description Unique within the offering; CLI-friendly names are recommended. */
            name: string;
            /** @description Short description of the plan. */
            description: string;
            /** @description Opaque metadata, e.g. costs and bullets from the profile conventions. */
            metadata?: {
                [key: string]: unknown;
            };
            /**
             * @description `false` when instances of this plan cost money.
             * @default true
             */
            free?: boolean;
            /** @description Overrides the offering's `bindable` when present. */
            bindable?: boolean;
            /**
             * @description Whether bindings of this plan may be rotated with `predecessor_binding_id`.
             * @default false
             */
            binding_rotatable?: boolean;
            /** @description Overrides the offering's `plan_updateable` when present. */
            plan_updateable?: boolean;
            schemas?: components["schemas"]["PlanSchemas"];
            /** @description Seconds after which the Platform should stop polling and consider the operation failed. */
            maximum_polling_duration?: number;
            maintenance_info?: components["schemas"]["MaintenanceInfo"];
        } & {
            [key: string]: unknown;
        };
        /** @description OAuth client for dashboard single sign-on (a Cloud Foundry extension, see the profile). */
        DashboardClient: {
            /** @description OAuth client id used by the dashboard. */
            id: string;
            /** @description Secret of that OAuth client. */
            secret: string;
            /** @description Dashboard URI that the token server validates redirects against. */
            redirect_uri?: string;
        } & {
            [key: string]: unknown;
        };
        /** @description JSON schemas for the parameters accepted by the plan's operations. */
        PlanSchemas: {
            service_instance?: components["schemas"]["ServiceInstanceSchema"];
            service_binding?: components["schemas"]["ServiceBindingSchema"];
        } & {
            [key: string]: unknown;
        };
        /** @description Parameter schemas for instance provisioning and updates. */
        ServiceInstanceSchema: {
            create?: components["schemas"]["InputParameters"];
            update?: components["schemas"]["InputParameters"];
        } & {
            [key: string]: unknown;
        };
        /** @description Parameter schema for creating bindings (only meaningful for bindable plans). */
        ServiceBindingSchema: {
            create?: components["schemas"]["InputParameters"];
        } & {
            [key: string]: unknown;
        };
        /** @description Wrapper around the JSON schema of one operation's `parameters`. */
        InputParameters: {
            /** @description A JSON schema (draft 4 or later) with one property per input parameter. It must declare `$schema`, must not use external references and must stay under 64 kB. */
            parameters?: {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        /** @description Maintenance version of the software behind a plan or an instance. */
        MaintenanceInfo: {
            /** @description A semantic version 2.0 string. Requests only compare this field. */
            version: string;
            /** @description What the maintenance update changes, for display to users. */
            description?: string;
        } & {
            [key: string]: unknown;
        };
        /** @description Platform-specific data about where the instance or binding lives (see the profile for the cloudfoundry and kubernetes members). */
        Context: {
            /** @description Which kind of Platform sent the request, e.g. cloudfoundry or kubernetes. */
            platform: string;
        } & {
            [key: string]: unknown;
        };
        /** @description Broker-provided metadata of a Service Instance. */
        InstanceMetadata: {
            /** @description Key-value pairs meaningful to users that do not change Platform behaviour. */
            labels?: {
                [key: string]: unknown;
            };
            /** @description Broker-generated key-value pairs that may change Platform behaviour. */
            attributes?: {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        /** @description Data for managing a binding itself (not for connecting to the instance). */
        BindingMetadata: {
            /**
             * Format: date-time
             * @description When the binding stops being valid (ISO 8601, yyyy-mm-ddThh:mm:ss.sZ).
             */
            expires_at?: string;
            /**
             * Format: date-time
             * @description Time before which the binding should be renewed or rotated; not later than `expires_at` (ISO 8601, yyyy-mm-ddThh:mm:ss.sZ).
             */
            renew_before?: string;
        } & {
            [key: string]: unknown;
        };
        /** @description Body of PUT /v2/service_instances/{instance_id}. */
        ProvisionRequest: {
            /** @description Id of a Service Offering from this broker's catalog. */
            service_id: string;
            /** @description Id of a Service Plan of that offering. */
            plan_id: string;
            context?: components["schemas"]["Context"];
            /**
             * @deprecated
             * @description Platform organization of the instance; superseded by `context` but still required.
             */
            organization_guid: string;
            /**
             * @deprecated
             * @description Platform space of the instance; superseded by `context` but still required.
             */
            space_guid: string;
            /** @description User-supplied configuration parameters, to be validated by the broker. */
            parameters?: {
                [key: string]: unknown;
            };
            maintenance_info?: components["schemas"]["MaintenanceInfo"];
        } & {
            [key: string]: unknown;
        };
        /** @description Body of a successful provision answer (200, 201 or 202). */
        ProvisionResponse: {
            /** @description Web dashboard of the instance. Must already be in the first answer, even when provisioning is asynchronous. */
            dashboard_url?: string | null;
            /** @description Identifier of the asynchronous operation, to be passed back when polling. */
            operation?: string | null;
            metadata?: components["schemas"]["InstanceMetadata"];
        } & {
            [key: string]: unknown;
        };
        /** @description Body of PATCH /v2/service_instances/{instance_id}. */
        UpdateRequest: {
            context?: components["schemas"]["Context"];
            /** @description Id of the instance's Service Offering. */
            service_id: string;
            /** @description The plan to switch to; when absent the plan must not change. */
            plan_id?: string;
            /** @description Parameters the user chose to change; when absent the instance's parameters must not change. */
            parameters?: {
                [key: string]: unknown;
            };
            previous_values?: components["schemas"]["PreviousValues"];
            maintenance_info?: components["schemas"]["MaintenanceInfo"];
        } & {
            [key: string]: unknown;
        };
        /** @description Body of a successful update answer (200 or 202). */
        UpdateResponse: {
            /** @description New dashboard URL; when absent or null the Platform keeps the previous one. */
            dashboard_url?: string | null;
            /** @description Identifier of the asynchronous operation, to be passed back when polling. */
            operation?: string;
            metadata?: components["schemas"]["InstanceMetadata"];
        } & {
            [key: string]: unknown;
        };
        /** @description The instance as it was before this update. */
        PreviousValues: {
            /**
             * @deprecated
             * @description Offering id (immutable, hence deprecated here).
             */
            service_id?: string;
            /** @description Plan id before the update. */
            plan_id?: string;
            /**
             * @deprecated
             * @description Organization id (now carried in `context`).
             */
            organization_id?: string;
            /**
             * @deprecated
             * @description Space id (now carried in `context`).
             */
            space_id?: string;
            maintenance_info?: components["schemas"]["MaintenanceInfo"];
        } & {
            [key: string]: unknown;
        };
        /** @description Body of a 202 answer to deprovision, bind or unbind. */
        AsyncOperation: {
            /** @description Identifier of the asynchronous operation, to be passed back when polling. */
            operation?: string;
        } & {
            [key: string]: unknown;
        };
        /** @description Body of GET /v2/service_instances/{instance_id}. */
        FetchInstanceResponse: {
            /** @description Offering id of the instance. */
            service_id?: string;
            /** @description Plan id of the instance. */
            plan_id?: string;
            /** @description Web dashboard of the instance. */
            dashboard_url?: string;
            /** @description Configuration parameters of the instance; sensitive ones may be left out. */
            parameters?: {
                [key: string]: unknown;
            };
            maintenance_info?: components["schemas"]["MaintenanceInfo"];
            metadata?: components["schemas"]["InstanceMetadata"];
        } & {
            [key: string]: unknown;
        };
        /** @description Body of a 200 answer from either last_operation endpoint. */
        LastOperationResponse: {
            /**
             * @description `in progress` keeps the Platform polling; `succeeded` and `failed` stop it.
             * @enum {string}
             */
            state: "in progress" | "succeeded" | "failed";
            /** @description User-facing progress or result message. */
            description?: string;
            /**
             * @description After a failed instance update or deprovision, whether the instance can still be used. Only for those operations.
             * @default true
             */
            instance_usable?: boolean;
            /**
             * @description After a failed instance update, whether repeating it may succeed. Only for updates.
             * @default true
             */
            update_repeatable?: boolean;
        } & {
            [key: string]: unknown;
        };
        /** @description Body of PUT /v2/service_instances/{instance_id}/service_bindings/{binding_id}. */
        BindRequest: {
            context?: components["schemas"]["Context"];
            /** @description Id of the instance's Service Offering. */
            service_id: string;
            /** @description Id of the instance's Service Plan. */
            plan_id: string;
            /**
             * @deprecated
             * @description Application of the binding; superseded by `bind_resource.app_guid`.
             */
            app_guid?: string;
            bind_resource?: components["schemas"]["BindResource"];
            /** @description User-supplied configuration parameters, to be validated by the broker. */
            parameters?: {
                [key: string]: unknown;
            };
            /** @description Only in a rotation request (and then required): id of an unexpired binding of the same instance that the new binding succeeds. */
            predecessor_binding_id?: string;
        } & {
            [key: string]: unknown;
        };
        /** @description Platform resources the binding is for; Platforms may add their own members. */
        BindResource: {
            /** @description Application (or other Platform scope) the credentials are for. */
            app_guid?: string;
            /** @description Address of the application that a route service intermediates. */
            route?: string;
        } & {
            [key: string]: unknown;
        };
        /** @description Body of a 200 or 201 bind answer. */
        BindResponse: {
            metadata?: components["schemas"]["BindingMetadata"];
            /** @description Free-form credentials for reaching the instance. */
            credentials?: {
                [key: string]: unknown;
            };
            /** @description Where the Platform streams logs (needs `requires` syslog_drain). */
            syslog_drain_url?: string;
            /** @description Where the Platform proxies the bound route (needs `requires` route_forwarding). */
            route_service_url?: string;
            /** @description Volumes to mount into the application container (needs `requires` volume_mount). */
            volume_mounts?: components["schemas"]["VolumeMount"][];
            /** @description All network endpoints the application uses to reach the instance. */
            endpoints?: components["schemas"]["BindingEndpoint"][];
        } & {
            [key: string]: unknown;
        };
        /** @description Body of GET /v2/service_instances/{instance_id}/service_bindings/{binding_id}. */
        FetchBindingResponse: {
            metadata?: components["schemas"]["BindingMetadata"];
            /** @description Free-form credentials for reaching the instance. */
            credentials?: {
                [key: string]: unknown;
            };
            /** @description Where the Platform streams logs (needs `requires` syslog_drain). */
            syslog_drain_url?: string;
            /** @description Where the Platform proxies the bound route (needs `requires` route_forwarding). */
            route_service_url?: string;
            /** @description Volumes to mount into the application container (needs `requires` volume_mount). */
            volume_mounts?: components["schemas"]["VolumeMount"][];
            /** @description Configuration parameters of the binding; sensitive ones may be left out. */
            parameters?: {
                [key: string]: unknown;
            };
            /** @description All network endpoints the application uses to reach the instance. */
            endpoints?: components["schemas"]["BindingEndpoint"][];
        } & {
            [key: string]: unknown;
        };
        /** @description A remote volume to mount into the application container. */
        VolumeMount: {
            /** @description Volume driver plugin that manages the device. */
            driver: string;
            /** @description Mount path inside the application container. */
            container_dir: string;
            /**
             * @description Read-only (`r`) or read-write (`rw`).
             * @enum {string}
             */
            mode: "r" | "rw";
            /**
             * @description Kind of device; only `shared` exists.
             * @enum {string}
             */
            device_type: "shared";
            device: components["schemas"]["VolumeMountDevice"];
        } & {
            [key: string]: unknown;
        };
        /** @description A shared device, mountable on all application instances at once. */
        VolumeMountDevice: {
            /** @description Id of the shared volume. */
            volume_id: string;
            /** @description Options handed to the driver when mounting. */
            mount_config?: {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        /** @description A network endpoint of the instance used by the application. */
        BindingEndpoint: {
            /** @description Host name or single IP address. */
            host: string;
            /** @description Single ports ("443") or ranges ("9000-9010"). */
            ports: string[];
            /**
             * @description Transport protocol; tcp when absent.
             * @default tcp
             * @enum {string}
             */
            protocol?: "tcp" | "udp" | "all";
        } & {
            [key: string]: unknown;
        };
        /** @description Body of an error answer. */
        ErrorResponse: {
            /** @description One camel-case word naming the error. Mandated codes are AsyncRequired, ConcurrencyError, RequiresApp and MaintenanceInfoConflict. */
            error?: string;
            /** @description User-facing explanation of the failure. */
            description?: string;
            /**
             * @description Only for failed instance updates and deprovisions: whether the instance can still be used.
             * @default true
             */
            instance_usable?: boolean;
            /**
             * @description Only for failed instance updates: whether repeating the update may succeed.
             * @default true
             */
            update_repeatable?: boolean;
        } & {
            [key: string]: unknown;
        };
        /** @description The `{}` body of several answers. Receivers ignore any extension members a sender adds. */
        EmptyObject: {
            [key: string]: unknown;
        };
    };
    responses: {
        /** @description The request is malformed or misses mandatory data (including a missing X-Broker-API-Version header), or carries invalid data. */
        BadRequest: {
            headers: {
                /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                "X-Broker-API-Request-Identity"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description Authentication failed. */
        Unauthorized: {
            headers: {
                /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                "X-Broker-API-Request-Identity"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description The broker rejects the API version in X-Broker-API-Version; the description should name the version to use instead. */
        PreconditionFailed: {
            headers: {
                /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                "X-Broker-API-Request-Identity"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
        /** @description Any status the specification does not define for the operation; the Platform treats it as a failure (see the orphan mitigation rules). */
        UnexpectedError: {
            headers: {
                /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                "X-Broker-API-Request-Identity"?: string;
                [name: string]: unknown;
            };
            content: {
                "application/json": components["schemas"]["ErrorResponse"];
            };
        };
    };
    parameters: {
        /** @description OSB API version the Platform speaks, as MAJOR.MINOR. A broker that needs a different version may answer 412; a missing header may be answered with 400. */
        APIVersion: string;
        /** @description Who triggered the request on the Platform, as `<platform> <value>` where value is a base64-encoded JSON object and platform equals `context.platform` when a context is sent. Sent for user-initiated requests; may be absent otherwise. */
        OriginatingIdentity: string;
        /** @description Non-empty identifier of this request (a GUID is recommended), sent by Platforms that support request tracing. Brokers should echo it on the response and may log it. */
        RequestIdentity: string;
        /** @description Entity tag of a catalog the Platform already holds (optional catalog caching). */
        IfNoneMatch: string;
        /** @description HTTP date of the catalog the Platform already holds (optional catalog caching). */
        IfModifiedSince: string;
        /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
        InstanceId: string;
        /** @description Service Binding id. On binding, a new globally unique non-empty string chosen by the Platform; on every other request, the id of an existing binding of the instance. */
        BindingId: string;
        /** @description `true` when the Platform can handle an asynchronous (202) answer. A broker that can only act asynchronously answers 422 `AsyncRequired` when this is absent or false. */
        AcceptsIncomplete: boolean;
        /** @description Id of the Service Offering the resource belongs to. */
        ServiceIdRequired: string;
        /** @description Id of the Service Plan the resource belongs to. */
        PlanIdRequired: string;
        /** @description Hint; id of the Service Offering. Non-empty when present. */
        ServiceId: string;
        /** @description Hint; id of the Service Plan. Non-empty when present. */
        PlanId: string;
        /** @description The `operation` value the broker returned with its 202 answer, passed back unchanged (percent-encoded). Non-empty when present. */
        Operation: string;
    };
    requestBodies: never;
    headers: {
        /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
        RequestIdentity: string;
        /** @description How long the Platform should wait before polling again; a number of seconds is recommended over an HTTP date. */
        RetryAfter: string;
        /** @description Entity tag of the returned catalog (optional catalog caching). */
        ETag: string;
        /** @description HTTP date at which the catalog last changed (optional catalog caching). */
        LastModified: string;
    };
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    getCatalog: {
        parameters: {
            query?: never;
            header: {
                /** @description OSB API version the Platform speaks, as MAJOR.MINOR. A broker that needs a different version may answer 412; a missing header may be answered with 400. */
                "X-Broker-API-Version": components["parameters"]["APIVersion"];
                /** @description Who triggered the request on the Platform, as `<platform> <value>` where value is a base64-encoded JSON object and platform equals `context.platform` when a context is sent. Sent for user-initiated requests; may be absent otherwise. */
                "X-Broker-API-Originating-Identity"?: components["parameters"]["OriginatingIdentity"];
                /** @description Non-empty identifier of this request (a GUID is recommended), sent by Platforms that support request tracing. Brokers should echo it on the response and may log it. */
                "X-Broker-API-Request-Identity"?: components["parameters"]["RequestIdentity"];
                /** @description Entity tag of a catalog the Platform already holds (optional catalog caching). */
                "If-None-Match"?: components["parameters"]["IfNoneMatch"];
                /** @description HTTP date of the catalog the Platform already holds (optional catalog caching). */
                "If-Modified-Since"?: components["parameters"]["IfModifiedSince"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The catalog. */
            200: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    /** @description Entity tag of the returned catalog (optional catalog caching). */
                    ETag?: string;
                    /** @description HTTP date at which the catalog last changed (optional catalog caching). */
                    "Last-Modified"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Catalog"];
                };
            };
            /** @description The catalog has not changed since the version named by the conditional request headers (only for brokers that support catalog caching). */
            304: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    /** @description Entity tag of the returned catalog (optional catalog caching). */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content?: never;
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            412: components["responses"]["PreconditionFailed"];
            default: components["responses"]["UnexpectedError"];
        };
    };
    fetchInstance: {
        parameters: {
            query?: {
                /** @description Hint; id of the Service Offering. Non-empty when present. */
                service_id?: components["parameters"]["ServiceId"];
                /** @description Hint; id of the Service Plan. Non-empty when present. */
                plan_id?: components["parameters"]["PlanId"];
            };
            header: {
                /** @description OSB API version the Platform speaks, as MAJOR.MINOR. A broker that needs a different version may answer 412; a missing header may be answered with 400. */
                "X-Broker-API-Version": components["parameters"]["APIVersion"];
                /** @description Who triggered the request on the Platform, as `<platform> <value>` where value is a base64-encoded JSON object and platform equals `context.platform` when a context is sent. Sent for user-initiated requests; may be absent otherwise. */
                "X-Broker-API-Originating-Identity"?: components["parameters"]["OriginatingIdentity"];
                /** @description Non-empty identifier of this request (a GUID is recommended), sent by Platforms that support request tracing. Brokers should echo it on the response and may log it. */
                "X-Broker-API-Request-Identity"?: components["parameters"]["RequestIdentity"];
            };
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The instance. */
            200: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FetchInstanceResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            /** @description The instance does not exist or its provisioning has not finished. */
            404: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            412: components["responses"]["PreconditionFailed"];
            /** @description `ConcurrencyError`: the instance is being updated and cannot be read now. */
            422: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            default: components["responses"]["UnexpectedError"];
        };
    };
    provisionInstance: {
        parameters: {
            query?: {
                /** @description `true` when the Platform can handle an asynchronous (202) answer. A broker that can only act asynchronously answers 422 `AsyncRequired` when this is absent or false. */
                accepts_incomplete?: components["parameters"]["AcceptsIncomplete"];
            };
            header: {
                /** @description OSB API version the Platform speaks, as MAJOR.MINOR. A broker that needs a different version may answer 412; a missing header may be answered with 400. */
                "X-Broker-API-Version": components["parameters"]["APIVersion"];
                /** @description Who triggered the request on the Platform, as `<platform> <value>` where value is a base64-encoded JSON object and platform equals `context.platform` when a context is sent. Sent for user-initiated requests; may be absent otherwise. */
                "X-Broker-API-Originating-Identity"?: components["parameters"]["OriginatingIdentity"];
                /** @description Non-empty identifier of this request (a GUID is recommended), sent by Platforms that support request tracing. Brokers should echo it on the response and may log it. */
                "X-Broker-API-Request-Identity"?: components["parameters"]["RequestIdentity"];
            };
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProvisionRequest"];
            };
        };
        responses: {
            /** @description The instance already exists, is fully provisioned and was requested with identical attributes (synchronous operations only). */
            200: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProvisionResponse"];
                };
            };
            /** @description The instance was provisioned by this request. */
            201: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProvisionResponse"];
                };
            };
            /** @description Provisioning is in progress; poll the instance last_operation endpoint. A repeated PUT for an unfinished instance also gets 202. The `operation` value must match the one returned for the original request. */
            202: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProvisionResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            /** @description An instance with this id already exists, or is being provisioned, with different attributes. */
            409: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            412: components["responses"]["PreconditionFailed"];
            /** @description `AsyncRequired`: the plan can only be provisioned asynchronously and the request lacked `accepts_incomplete=true`. `MaintenanceInfoConflict`: `maintenance_info.version` does not match the plan's catalog entry. `ConcurrencyError`: another operation on the instance prevents this one. */
            422: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            default: components["responses"]["UnexpectedError"];
        };
    };
    deprovisionInstance: {
        parameters: {
            query: {
                /** @description Id of the Service Offering the resource belongs to. */
                service_id: components["parameters"]["ServiceIdRequired"];
                /** @description Id of the Service Plan the resource belongs to. */
                plan_id: components["parameters"]["PlanIdRequired"];
                /** @description `true` when the Platform can handle an asynchronous (202) answer. A broker that can only act asynchronously answers 422 `AsyncRequired` when this is absent or false. */
                accepts_incomplete?: components["parameters"]["AcceptsIncomplete"];
            };
            header: {
                /** @description OSB API version the Platform speaks, as MAJOR.MINOR. A broker that needs a different version may answer 412; a missing header may be answered with 400. */
                "X-Broker-API-Version": components["parameters"]["APIVersion"];
                /** @description Who triggered the request on the Platform, as `<platform> <value>` where value is a base64-encoded JSON object and platform equals `context.platform` when a context is sent. Sent for user-initiated requests; may be absent otherwise. */
                "X-Broker-API-Originating-Identity"?: components["parameters"]["OriginatingIdentity"];
                /** @description Non-empty identifier of this request (a GUID is recommended), sent by Platforms that support request tracing. Brokers should echo it on the response and may log it. */
                "X-Broker-API-Request-Identity"?: components["parameters"]["RequestIdentity"];
            };
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The instance was deleted by this request. The body is `{}`. */
            200: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EmptyObject"];
                };
            };
            /** @description Deletion is in progress; poll the instance last_operation endpoint. A repeated DELETE for an unfinished deletion also gets 202. */
            202: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AsyncOperation"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            /** @description The instance does not exist. */
            410: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            412: components["responses"]["PreconditionFailed"];
            /** @description `AsyncRequired`: only asynchronous deprovisioning is possible and the request lacked `accepts_incomplete=true`. `ConcurrencyError`: another operation on the instance is in progress. The body may carry `instance_usable`. */
            422: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            default: components["responses"]["UnexpectedError"];
        };
    };
    updateInstance: {
        parameters: {
            query?: {
                /** @description `true` when the Platform can handle an asynchronous (202) answer. A broker that can only act asynchronously answers 422 `AsyncRequired` when this is absent or false. */
                accepts_incomplete?: components["parameters"]["AcceptsIncomplete"];
            };
            header: {
                /** @description OSB API version the Platform speaks, as MAJOR.MINOR. A broker that needs a different version may answer 412; a missing header may be answered with 400. */
                "X-Broker-API-Version": components["parameters"]["APIVersion"];
                /** @description Who triggered the request on the Platform, as `<platform> <value>` where value is a base64-encoded JSON object and platform equals `context.platform` when a context is sent. Sent for user-initiated requests; may be absent otherwise. */
                "X-Broker-API-Originating-Identity"?: components["parameters"]["OriginatingIdentity"];
                /** @description Non-empty identifier of this request (a GUID is recommended), sent by Platforms that support request tracing. Brokers should echo it on the response and may log it. */
                "X-Broker-API-Request-Identity"?: components["parameters"]["RequestIdentity"];
            };
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateRequest"];
            };
        };
        responses: {
            /** @description The changes were applied (or had no effect). The body is expected to be `{}` apart from the optional fields of UpdateResponse. */
            200: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UpdateResponse"];
                };
            };
            /** @description The update is in progress; poll the instance last_operation endpoint. A repeated PATCH for an unfinished update also gets 202. */
            202: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["UpdateResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            412: components["responses"]["PreconditionFailed"];
            /** @description The change is not supported or cannot be done in the instance's current state; or `AsyncRequired` (asynchronous-only update without `accepts_incomplete=true`); or `MaintenanceInfoConflict`; or `ConcurrencyError`. The body may carry `instance_usable` and `update_repeatable`. */
            422: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            default: components["responses"]["UnexpectedError"];
        };
    };
    getInstanceLastOperation: {
        parameters: {
            query?: {
                /** @description Hint; id of the Service Offering. Non-empty when present. */
                service_id?: components["parameters"]["ServiceId"];
                /** @description Id of the instance's plan. While polling a plan change, this is the plan the instance had before the update. */
                plan_id?: string;
                /** @description The `operation` value the broker returned with its 202 answer, passed back unchanged (percent-encoded). Non-empty when present. */
                operation?: components["parameters"]["Operation"];
            };
            header: {
                /** @description OSB API version the Platform speaks, as MAJOR.MINOR. A broker that needs a different version may answer 412; a missing header may be answered with 400. */
                "X-Broker-API-Version": components["parameters"]["APIVersion"];
                /** @description Who triggered the request on the Platform, as `<platform> <value>` where value is a base64-encoded JSON object and platform equals `context.platform` when a context is sent. Sent for user-initiated requests; may be absent otherwise. */
                "X-Broker-API-Originating-Identity"?: components["parameters"]["OriginatingIdentity"];
                /** @description Non-empty identifier of this request (a GUID is recommended), sent by Platforms that support request tracing. Brokers should echo it on the response and may log it. */
                "X-Broker-API-Request-Identity"?: components["parameters"]["RequestIdentity"];
            };
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The current state of the operation. */
            200: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    /** @description How long the Platform should wait before polling again; a number of seconds is recommended over an HTTP date. */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LastOperationResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            /** @description The instance being polled does not exist. */
            404: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The instance is gone. A success only when polling a deprovision; while polling a create or update the Platform treats it as an invalid answer and keeps polling. */
            410: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            412: components["responses"]["PreconditionFailed"];
            default: components["responses"]["UnexpectedError"];
        };
    };
    fetchBinding: {
        parameters: {
            query?: {
                /** @description Hint; id of the Service Offering. Non-empty when present. */
                service_id?: components["parameters"]["ServiceId"];
                /** @description Hint; id of the Service Plan. Non-empty when present. */
                plan_id?: components["parameters"]["PlanId"];
            };
            header: {
                /** @description OSB API version the Platform speaks, as MAJOR.MINOR. A broker that needs a different version may answer 412; a missing header may be answered with 400. */
                "X-Broker-API-Version": components["parameters"]["APIVersion"];
                /** @description Who triggered the request on the Platform, as `<platform> <value>` where value is a base64-encoded JSON object and platform equals `context.platform` when a context is sent. Sent for user-initiated requests; may be absent otherwise. */
                "X-Broker-API-Originating-Identity"?: components["parameters"]["OriginatingIdentity"];
                /** @description Non-empty identifier of this request (a GUID is recommended), sent by Platforms that support request tracing. Brokers should echo it on the response and may log it. */
                "X-Broker-API-Request-Identity"?: components["parameters"]["RequestIdentity"];
            };
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
                /** @description Service Binding id. On binding, a new globally unique non-empty string chosen by the Platform; on every other request, the id of an existing binding of the instance. */
                binding_id: components["parameters"]["BindingId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The binding. */
            200: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FetchBindingResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            /** @description The binding does not exist or its creation has not finished. */
            404: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            412: components["responses"]["PreconditionFailed"];
            default: components["responses"]["UnexpectedError"];
        };
    };
    bindBinding: {
        parameters: {
            query?: {
                /** @description `true` when the Platform can handle an asynchronous (202) answer. A broker that can only act asynchronously answers 422 `AsyncRequired` when this is absent or false. */
                accepts_incomplete?: components["parameters"]["AcceptsIncomplete"];
            };
            header: {
                /** @description OSB API version the Platform speaks, as MAJOR.MINOR. A broker that needs a different version may answer 412; a missing header may be answered with 400. */
                "X-Broker-API-Version": components["parameters"]["APIVersion"];
                /** @description Who triggered the request on the Platform, as `<platform> <value>` where value is a base64-encoded JSON object and platform equals `context.platform` when a context is sent. Sent for user-initiated requests; may be absent otherwise. */
                "X-Broker-API-Originating-Identity"?: components["parameters"]["OriginatingIdentity"];
                /** @description Non-empty identifier of this request (a GUID is recommended), sent by Platforms that support request tracing. Brokers should echo it on the response and may log it. */
                "X-Broker-API-Request-Identity"?: components["parameters"]["RequestIdentity"];
            };
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
                /** @description Service Binding id. On binding, a new globally unique non-empty string chosen by the Platform; on every other request, the id of an existing binding of the instance. */
                binding_id: components["parameters"]["BindingId"];
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BindRequest"];
            };
        };
        responses: {
            /** @description The binding already exists with identical parameters (synchronous operations only). */
            200: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BindResponse"];
                };
            };
            /** @description The binding was created by this request. */
            201: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BindResponse"];
                };
            };
            /** @description Binding is in progress; poll the binding last_operation endpoint. Credentials and other binding details must not be in this body. */
            202: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AsyncOperation"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            /** @description A binding with this id already exists for the instance, or is being created, with different parameters. */
            409: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            412: components["responses"]["PreconditionFailed"];
            /** @description `RequiresApp`: the broker needs `app_guid`. `ConcurrencyError`: a concurrent request blocks this one. `AsyncRequired`: only asynchronous binding is possible and the request lacked `accepts_incomplete=true`. */
            422: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            default: components["responses"]["UnexpectedError"];
        };
    };
    unbindBinding: {
        parameters: {
            query: {
                /** @description Id of the Service Offering the resource belongs to. */
                service_id: components["parameters"]["ServiceIdRequired"];
                /** @description Id of the Service Plan the resource belongs to. */
                plan_id: components["parameters"]["PlanIdRequired"];
                /** @description `true` when the Platform can handle an asynchronous (202) answer. A broker that can only act asynchronously answers 422 `AsyncRequired` when this is absent or false. */
                accepts_incomplete?: components["parameters"]["AcceptsIncomplete"];
            };
            header: {
                /** @description OSB API version the Platform speaks, as MAJOR.MINOR. A broker that needs a different version may answer 412; a missing header may be answered with 400. */
                "X-Broker-API-Version": components["parameters"]["APIVersion"];
                /** @description Who triggered the request on the Platform, as `<platform> <value>` where value is a base64-encoded JSON object and platform equals `context.platform` when a context is sent. Sent for user-initiated requests; may be absent otherwise. */
                "X-Broker-API-Originating-Identity"?: components["parameters"]["OriginatingIdentity"];
                /** @description Non-empty identifier of this request (a GUID is recommended), sent by Platforms that support request tracing. Brokers should echo it on the response and may log it. */
                "X-Broker-API-Request-Identity"?: components["parameters"]["RequestIdentity"];
            };
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
                /** @description Service Binding id. On binding, a new globally unique non-empty string chosen by the Platform; on every other request, the id of an existing binding of the instance. */
                binding_id: components["parameters"]["BindingId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The binding was deleted by this request. The body is `{}`. */
            200: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EmptyObject"];
                };
            };
            /** @description Unbinding is in progress; poll the binding last_operation endpoint. A repeated DELETE for an unfinished unbinding also gets 202. */
            202: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AsyncOperation"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            /** @description The binding does not exist. */
            410: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            412: components["responses"]["PreconditionFailed"];
            /** @description `AsyncRequired`: only asynchronous unbinding is possible and the request lacked `accepts_incomplete=true`. `ConcurrencyError`: another operation on the binding is in progress. */
            422: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            default: components["responses"]["UnexpectedError"];
        };
    };
    getBindingLastOperation: {
        parameters: {
            query?: {
                /** @description Hint; id of the Service Offering. Non-empty when present. */
                service_id?: components["parameters"]["ServiceId"];
                /** @description Hint; id of the Service Plan. Non-empty when present. */
                plan_id?: components["parameters"]["PlanId"];
                /** @description The `operation` value the broker returned with its 202 answer, passed back unchanged (percent-encoded). Non-empty when present. */
                operation?: components["parameters"]["Operation"];
            };
            header: {
                /** @description OSB API version the Platform speaks, as MAJOR.MINOR. A broker that needs a different version may answer 412; a missing header may be answered with 400. */
                "X-Broker-API-Version": components["parameters"]["APIVersion"];
                /** @description Who triggered the request on the Platform, as `<platform> <value>` where value is a base64-encoded JSON object and platform equals `context.platform` when a context is sent. Sent for user-initiated requests; may be absent otherwise. */
                "X-Broker-API-Originating-Identity"?: components["parameters"]["OriginatingIdentity"];
                /** @description Non-empty identifier of this request (a GUID is recommended), sent by Platforms that support request tracing. Brokers should echo it on the response and may log it. */
                "X-Broker-API-Request-Identity"?: components["parameters"]["RequestIdentity"];
            };
            path: {
                /** @description Service Instance id. On provisioning, a new globally unique non-empty string chosen by the Platform; on every other request, the id of a previously provisioned instance. */
                instance_id: components["parameters"]["InstanceId"];
                /** @description Service Binding id. On binding, a new globally unique non-empty string chosen by the Platform; on every other request, the id of an existing binding of the instance. */
                binding_id: components["parameters"]["BindingId"];
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The current state of the operation. `instance_usable` and `update_repeatable` do not apply to binding operations. */
            200: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    /** @description How long the Platform should wait before polling again; a number of seconds is recommended over an HTTP date. */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LastOperationResponse"];
                };
            };
            400: components["responses"]["BadRequest"];
            401: components["responses"]["Unauthorized"];
            /** @description The binding being polled does not exist. */
            404: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The binding is gone. A success only when polling an unbind; while polling a create the Platform treats it as an invalid answer and keeps polling. */
            410: {
                headers: {
                    /** @description Echo of the request's X-Broker-API-Request-Identity header (recommended). */
                    "X-Broker-API-Request-Identity"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            412: components["responses"]["PreconditionFailed"];
            default: components["responses"]["UnexpectedError"];
        };
    };
}

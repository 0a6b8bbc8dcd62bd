// The routers by name: the one place that knows which exist.
import type { KubeObject, RouterName } from '../model.js';
import { gatewayApiRouter } from './gatewayapi.js';
import { kubernetesRouter } from './kubernetes.js';
import { nginxRouter } from './nginx.js';
import { skipperRouter } from './skipper.js';
import { traefikRouter } from './traefik.js';
import type { Router } from './router.js';
import { contourRouter } from './contour.js';
import { istioRouter } from './istio.js';
import { smiRouter } from './smi.js';

const routers: Readonly<Record<RouterName, Router>> = {
  kubernetes: kubernetesRouter,
  gatewayapi: gatewayApiRouter,
  istio: istioRouter,
  smi: smiRouter,
  contour: contourRouter,
  nginx: nginxRouter,
  traefik: traefikRouter,
  skipper: skipperRouter,
};

export function routerOf(name: RouterName): Router {
  return routers[name];
}

/** The router that generates `object`, for a generated file read without its Canary. */
export function routerOwning(object: KubeObject): Router | undefined {
  return Object.values(routers).find((router) => router.owns(object));
}

/** The annotation keys some router alone sets and unsets with the step (Router.ownedAnnotations). */
export const ownedAnnotationPrefixes: readonly string[] = Object.values(routers).flatMap(
  (router) => router.ownedAnnotations ?? [],
);

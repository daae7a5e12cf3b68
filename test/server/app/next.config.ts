const nextConfig = {
  cacheComponents: true,
  cacheLife: { biweekly: { stale: 3600, revalidate: 86400, expire: 1209600 } },
};
export default nextConfig;

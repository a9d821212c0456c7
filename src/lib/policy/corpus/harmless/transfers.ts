/**
 * Harmless corpus, 'dev.transfers': copying build artefacts and logs between hosts, pushing images, probing
 * TLS and deploying a build directory: ordinary deployment work that an operator approves (ask), not refuses.
 */
import type {Family} from '../types.js'

export const transfers: Family = {
  family: 'dev.transfers',
  expect: 'not-deny',
  sources: ['deployment runbooks (scp/rsync to web hosts)', 'GitHub Actions deploy workflows', 'openssl manual'],
  cases: [
    'scp build.tar.gz deploy@web1.example.com:/srv/releases/',
    'scp -P 2222 dist/app.zip ops@10.0.0.12:/opt/app/',
    'scp -i ~/.ssh/deploy_key target/app.jar deploy@app01:/opt/app/',
    'scp web1:/var/log/nginx/error.log ./logs/',
    'scp -r deploy@web1:/srv/app/logs ./incident-42/',
    'rsync -avz dist/ deploy@web1:/var/www/site/',
    'rsync -az --delete public/ www@static.example.com:/srv/www/',
    'rsync -av --progress build/ backup.example.com:/backups/build-2024-05-01/',
    'rsync -avz -e "ssh -p 2222" dist/ deploy@web1:/srv/',
    'rsync -av rsync://mirror.example.org/pub/dataset/ ./data/',
    'rsync -av user@host:/var/backups/db.sql.gz ./restore/',
    'sftp deploy@files.example.com',
    'sftp -P 2022 uploader@partner.example.com',
    'docker push ghcr.io/acme/api:1.4.2',
    'docker push registry.example.com/app:latest',
    'docker login ghcr.io -u ci-bot --password-stdin < ci-token.txt',
    'podman push quay.io/acme/worker:2.0',
    'skopeo copy docker://alpine:3.20 docker://registry.local/alpine:3.20',
    'openssl s_client -connect example.com:443 -servername example.com </dev/null',
    'echo | openssl s_client -connect api.example.com:443 2>/dev/null | openssl x509 -noout -dates',
    'openssl s_client -showcerts -connect registry.example.com:443',
    'aws s3 sync ./dist s3://my-site-bucket --delete',
    'aws s3 cp build/app.zip s3://artifacts/releases/',
    'aws s3 cp ./public s3://static-site/ --recursive',
    'gsutil -m cp -r build/* gs://my-bucket/site/',
    'gsutil cp report.pdf gs://team-reports/2024/',
    "az storage blob upload-batch -d '$web' -s ./build",
  ],
}
